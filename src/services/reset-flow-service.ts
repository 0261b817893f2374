import { SsprError, fail, isSsprError } from '../domain/errors/sspr-error.js';
import {
  FLOW_TTL_MS,
  advance,
  assertFlowUsable,
  remainingMethods,
} from '../domain/flows/reset-flow.js';
import {
  allowedMethods,
  checkEligibility,
  countMethods,
  factorOf,
  isPhoneMethod,
  sameFactor,
  type PhoneMethod,
} from '../domain/policy/eligibility.js';
import {
  blockSubjects,
  secondsUntil,
  throttleKeys,
  throttleLimits,
  HOUR_MS,
  DAY_MS,
} from '../domain/policy/throttle.js';
import { codeMatches } from '../domain/methods/one-time-code.js';
import { verifyTotp } from '../domain/methods/totp.js';
import { normalizeAnswer, pickQuestions } from '../domain/methods/security-questions.js';
import { questionText } from './questions.js';
import { maskEmail, maskPhone } from '../domain/methods/contact.js';
import type { PhoneChannel } from '../domain/ports/sms-sender.js';
import type { Flow, FlowContext, PendingChallenge } from '../domain/model/flow.js';
import type { MethodName, SsprPolicy } from '../domain/model/sspr-policy.js';
import type { User } from '../domain/model/user.js';
import type { Store } from '../domain/ports/store.js';
import { audit, type RequestContext } from './audit-log.js';
import { claimCodeSend, sendBlockedReason, type CodeChannel } from './email-throttle.js';
import { lastPhoneShape, type PhoneShape } from './method-registration.js';
import { deliverOrVoid, issueCode, sendPhoneCode } from './one-time-codes.js';
import type { ServiceDeps } from './deps.js';
import { notifyPasswordReset } from './notifications.js';
import {
  assertPasswordAcceptable,
  effectivePolicyFor,
  passwordRulesFor,
} from './password-service.js';
import {
  agentLinkOf,
  assertDirectoryRules,
  assertWritable,
  dnOf,
  effectivePolicyOf,
  rememberPassword,
  withRule,
} from './directory-password.js';
import {
  describePolicy,
  type EffectivePasswordPolicy,
  type PolicyRuleDescription,
} from '../domain/policy/password-rules.js';
import { getPolicy } from './policy-service.js';
import { normalizeUserId, pseudonymBits, throttleSubject } from './subjects.js';
import { settleBy, withTimingFloor } from './timing.js';
import { dummyHash } from './dummy-hash.js';
import { eligibilityFacts, hintFor, usableMethods, type UsableMethod } from './user-facts.js';

const PROGRESS = 'Self-service password reset flow activity progress' as const;

/** What the client sees of a flow; never secrets, never whether the user exists. */
export interface FlowView {
  readonly flowId: string;
  readonly state: Flow['state'];
  readonly gatesRequired: 1 | 2;
  readonly gatesPassed: readonly MethodName[];
  readonly methods: readonly { readonly method: MethodName; readonly hint: string }[];
  readonly allowUnlock: boolean;
  readonly expiresAt: string;
  readonly supportCode: string;
  /** Once the gates are passed: the rules the new password must meet, to show before typing. */
  readonly passwordPolicy?: readonly PolicyRuleDescription[];
}

export function viewOf(flow: Flow, policy: SsprPolicy): FlowView {
  // A passed text gate uses up the call to the same mobile phone, and the other way round.
  const remaining = new Set(
    remainingMethods(flow).filter((m) => !flow.gatesPassed.some((p) => sameFactor(m, p))),
  );
  return {
    flowId: flow.id,
    state: flow.state,
    gatesRequired: flow.gatesRequired,
    gatesPassed: flow.gatesPassed,
    methods: flow.context.offered
      .filter((o) => remaining.has(o.method))
      .map((o) => ({ method: o.method, hint: o.hint })),
    allowUnlock: policy.onPremises.allowUnlockWithoutReset && flow.context.source === 'directory',
    expiresAt: flow.expiresAt,
    supportCode: flow.correlationId,
    ...(flow.state === 'new_password'
      ? { passwordPolicy: passwordRulesFor({ source: flow.context.source }) }
      : {}),
  };
}

/**
 * The unknown-user emulation: the methods a registered user would plausibly have, derived from a
 * keyed hash of the typed id so every attempt with the same id looks the same.
 */
function syntheticMethods(
  deps: ServiceDeps,
  policy: SsprPolicy,
  typed: string,
  phoneShape: PhoneShape,
): UsableMethod[] {
  const allowed = allowedMethods(policy, false).filter(
    (m) => deps.sms !== undefined || !isPhoneMethod(m),
  );
  const bits = pseudonymBits(deps, typed);
  const count = Math.min(countMethods(allowed), policy.methodsRequired + (bits & 1));
  const start = (bits >>> 1) % Math.max(1, allowed.length);
  // Text and call to one mobile phone are one method: pick `count` distinct ones, and offer both
  // halves of a picked mobile phone, as a real user's flow does.
  const picked: MethodName[] = [];
  for (const m of [...allowed.slice(start), ...allowed.slice(0, start)]) {
    if (countMethods(picked) < count) picked.push(m);
  }
  const looksLikeEmail = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(typed);
  return allowed
    .filter((m) => picked.some((p) => sameFactor(p, m)))
    .map((method) => ({
      method,
      methodId: null,
      hint:
        method === 'email'
          ? looksLikeEmail
            ? maskEmail(normalizeUserId(typed))
            : 'Email'
          : isPhoneMethod(method)
            ? syntheticPhoneHint(bits, method, phoneShape)
            : hintFor(method, policy),
    }));
}

/** How a phone method's code travels. */
const phoneChannel = (method: PhoneMethod): PhoneChannel => (method === 'sms' ? 'sms' : 'voice');

/**
 * A masked number for an unknown id, stable per id, shaped like the last registered number (its
 * country code and length); text and voice share the mobile number, as for a real user.
 */
function syntheticPhoneHint(bits: number, method: MethodName, shape: PhoneShape): string {
  const last = method === 'officePhone' ? (bits >>> 8) % 100 : (bits >>> 16) % 100;
  const national = `${'0'.repeat(shape.digits - 2)}${String(last).padStart(2, '0')}`;
  return maskPhone(`+${shape.country} ${national}`);
}

async function loadUser(store: Store, flow: Flow): Promise<User | null> {
  return flow.userId === null ? null : store.users.findById(flow.userId);
}

async function loadFlow(deps: ServiceDeps, flowId: string): Promise<Flow> {
  const flow = await deps.store.flows.findById(flowId);
  if (flow === null) fail('FLOW_NOT_FOUND');
  assertFlowUsable(flow, deps.clock.now());
  return flow;
}

function subjectOf(deps: ServiceDeps, flow: Flow): string {
  return throttleSubject(deps, flow.userId, flow.context.typedUserId);
}

function auditBase(flow: Flow, user: User | null) {
  return {
    actorId: user?.id ?? null,
    actorUpn: user?.userPrincipalName ?? normalizeUserId(flow.context.typedUserId).slice(0, 113),
    targetId: user?.id ?? null,
    targetUpn: user?.userPrincipalName ?? null,
  };
}

async function assertNotBlocked(
  deps: ServiceDeps,
  subject: string,
  method?: MethodName,
): Promise<void> {
  const now = deps.clock.now();
  const userBlock = await deps.store.throttles.activeBlock(
    blockSubjects.user(subject),
    now.toISOString(),
  );
  if (userBlock) fail('USER_BLOCKED', { retryAfterSeconds: secondsUntil(userBlock.until, now) });
  if (method !== undefined) {
    // Per factor: text and call to one mobile phone are one gate (Entra's "Mobile phone").
    const gateBlock = await deps.store.throttles.activeBlock(
      blockSubjects.gate(subject, factorOf(method)),
      now.toISOString(),
    );
    if (gateBlock)
      fail('GATE_THROTTLED', { retryAfterSeconds: secondsUntil(gateBlock.until, now) });
  }
}

async function block(
  deps: ServiceDeps,
  ctx: RequestContext,
  flow: Flow,
  user: User | null,
  blockSubject: string,
  reason: string,
): Promise<string> {
  const now = deps.clock.now();
  const until = new Date(now.getTime() + throttleLimits.blockMs).toISOString();
  await deps.store.throttles.block(blockSubject, until, reason);
  await audit(deps, deps.store, ctx, {
    activity: 'Blocked from self-service password reset',
    result: 'success',
    resultReason: reason,
    ...auditBase(flow, user),
  });
  return until;
}

/** Step 1: user id (+ CAPTCHA) → eligibility in Entra's order → a flow with the gates to pass. */
export async function startReset(
  deps: ServiceDeps,
  ctx: RequestContext,
  input: { userId: string; captcha?: string | undefined },
): Promise<FlowView> {
  if (deps.settings.captchaEnabled) {
    if (input.captcha === undefined || input.captcha === '') fail('CAPTCHA_REQUIRED');
    if (!(await deps.captcha.verify(input.captcha))) fail('CAPTCHA_INVALID');
  }
  return withTimingFloor(deps, async () => {
    const policy = await getPolicy(deps.store);
    const found = await deps.store.users.findByUpn(normalizeUserId(input.userId));
    // A disabled account is treated like an unknown one: nothing to reset, nothing revealed.
    const user = found?.accountEnabled === true ? found : null;
    const subject = throttleSubject(deps, user?.id ?? null, input.userId);
    await assertNotBlocked(deps, subject);

    let offered: UsableMethod[];
    let gatesRequired: 1 | 2;
    let isAdmin = false;
    if (user) {
      const methods = await deps.store.methods.listByUser(user.id);
      const usable = usableMethods(user, methods, policy, { phone: deps.sms !== undefined });
      const facts = await eligibilityFacts(deps, deps.store, user, policy, usable);
      isAdmin = facts.isAdmin;
      const verdict = checkEligibility(policy, facts);
      if (!verdict.ok) {
        await audit(deps, deps.store, ctx, {
          activity: PROGRESS,
          result: 'failure',
          resultReason: verdict.reason,
          actorId: user.id,
          actorUpn: user.userPrincipalName,
          targetId: user.id,
          targetUpn: user.userPrincipalName,
          details: { code: new SsprError(verdict.error).code },
        });
        fail(verdict.error);
      }
      gatesRequired = verdict.gatesRequired;
      offered = usable.filter((u) => verdict.methods.includes(u.method));
    } else {
      // An unknown id goes through the same checks as a user with no group memberships and
      // plausible methods, so the answer does not reveal whether the account exists.
      const synthetic = syntheticMethods(deps, policy, input.userId, await lastPhoneShape(deps));
      const verdict = checkEligibility(policy, {
        source: 'cloud',
        isAdmin: false,
        accountEnabled: true,
        inSelectedGroup: false,
        inEligibilityGroup: false,
        inEligibilityList: false,
        methodsWithData: synthetic.map((s) => s.method),
        writebackAvailable: true,
      });
      if (!verdict.ok) {
        await audit(deps, deps.store, ctx, {
          activity: PROGRESS,
          result: 'failure',
          resultReason: `Unknown user id: ${verdict.reason}`,
          actorUpn: normalizeUserId(input.userId).slice(0, 113),
        });
        fail(verdict.error);
      }
      gatesRequired = verdict.gatesRequired;
      offered = synthetic;
    }

    const now = deps.clock.now();
    const context: FlowContext = {
      offered: offered.map((o) => ({ method: o.method, methodId: o.methodId, hint: o.hint })),
      challenges: {},
      typedUserId: input.userId.slice(0, 256),
      isAdmin,
      source: user?.source ?? 'cloud',
    };
    const flow: Flow = {
      id: Buffer.from(deps.random.bytes(32)).toString('base64url'),
      kind: 'reset',
      state: 'choose_method',
      userId: user?.id ?? null,
      gatesRequired,
      gatesPassed: [],
      context,
      submitCount: 0,
      correlationId: ctx.correlationId,
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + FLOW_TTL_MS).toISOString(),
      completedAt: null,
      version: 1,
    };
    await deps.store.flows.create(flow);
    await audit(deps, deps.store, ctx, {
      activity: PROGRESS,
      result: 'success',
      resultReason: user ? 'User started password reset' : 'Unknown user id started password reset',
      ...auditBase(flow, user),
    });
    return viewOf(flow, policy);
  });
}

export async function getFlow(deps: ServiceDeps, flowId: string): Promise<FlowView> {
  const flow = await loadFlow(deps, flowId);
  return viewWithRules(deps, flow);
}

/**
 * The view, with a directory user's effective policy (cloud + directory, read live through the
 * agent) once the gates are passed: the user sees every rule before typing.
 */
async function viewWithRules(deps: ServiceDeps, flow: Flow): Promise<FlowView> {
  const view = viewOf(flow, await getPolicy(deps.store));
  if (flow.state !== 'new_password' || flow.context.source !== 'directory') return view;
  const user = await loadUser(deps.store, flow);
  if (user === null) return view;
  try {
    return { ...view, passwordPolicy: describePolicy(await effectivePolicyOf(deps, user)) };
  } catch (error) {
    // The cloud rules still apply; the directory's are checked again when writing.
    deps.log.warn(
      { supportCode: flow.correlationId, code: isSsprError(error) ? error.code : 'unknown' },
      'directory policy not readable',
    );
    return view;
  }
}

function assertMethodOffered(flow: Flow, method: MethodName): void {
  if (flow.state !== 'choose_method')
    fail('FLOW_INVALID_STATE', { details: { state: flow.state } });
  if (flow.gatesPassed.some((passed) => sameFactor(passed, method))) fail('METHOD_ALREADY_USED');
  if (!flow.context.offered.some((o) => o.method === method)) fail('METHOD_NOT_AVAILABLE');
}

async function saveFlow(deps: ServiceDeps, store: Store, flow: Flow): Promise<void> {
  if (!(await store.flows.update(flow)))
    fail('FLOW_INVALID_STATE', { details: { reason: 'concurrent update' } });
}

/** Methods proven with a one-time code the server sends. */
type SentCodeMethod = 'email' | 'sms' | 'voice' | 'officePhone';

export type ChallengeResult =
  | { readonly method: SentCodeMethod; readonly sent: true; readonly codeExpiresAt: string }
  | {
      readonly method: 'securityQuestions';
      readonly questions: readonly { questionId: string; text: string }[];
    }
  | { readonly method: 'totp'; readonly ready: true };

/** Sends a code (email) or picks the questions for a gate. */
export async function challenge(
  deps: ServiceDeps,
  ctx: RequestContext,
  flowId: string,
  method: MethodName,
): Promise<ChallengeResult> {
  return withTimingFloor(deps, async (deadline) => {
    const flow = await loadFlow(deps, flowId);
    assertMethodOffered(flow, method);
    const subject = subjectOf(deps, flow);
    await assertNotBlocked(deps, subject, method);
    const user = await loadUser(deps.store, flow);
    const policy = await getPolicy(deps.store);
    const now = deps.clock.now();
    switch (method) {
      case 'email':
        return sendGateCode(deps, ctx, flow, user, policy, method, now, deadline, {
          channel: 'email',
          failureReason: 'Could not deliver the email verification code',
          send: (to, code) =>
            deps.mailer.send({
              to,
              subject: `${deps.settings.organizationName} account email verification code`,
              text:
                `Use this code to verify your identity and reset your password: ${code}\n\n` +
                `The code expires in 5 minutes. If you did not ask for it, ignore this email; ` +
                `your password has not changed.\n\nSupport code: ${flow.correlationId}\n`,
            }),
        });
      case 'securityQuestions': {
        const registered = user
          ? await registeredQuestionIds(deps.store, user.id)
          : syntheticQuestionIds(deps, flow, policy);
        const questionIds = pickQuestions(
          registered,
          policy.securityQuestions.toReset,
          deps.random,
        );
        await saveChallenge(deps, flow, { method, questionIds, issuedAt: now.toISOString() });
        return {
          method: 'securityQuestions',
          questions: questionIds.map((questionId) => ({
            questionId,
            text: questionText(questionId, policy),
          })),
        };
      }
      case 'sms':
      case 'voice':
      case 'officePhone': {
        const sender = deps.sms;
        // Not offered without a provider; reachable only if the configuration changed mid-flow.
        if (sender === undefined) fail('METHOD_NOT_SUPPORTED', { details: { method } });
        const channel = phoneChannel(method);
        return sendGateCode(deps, ctx, flow, user, policy, method, now, deadline, {
          channel: 'phone',
          failureReason:
            channel === 'sms'
              ? 'Could not deliver the text message verification code'
              : 'Could not place the voice call with the verification code',
          send: (to, code) =>
            sendPhoneCode(sender, deps.settings.organizationName, {
              to,
              channel,
              code,
              purpose: 'Use it to reset your password. If you did not ask for it, ignore it.',
            }),
        });
      }
      case 'totp':
        return { method: 'totp', ready: true };
      case 'passkey':
      case 'appNotification':
        return fail('METHOD_NOT_SUPPORTED');
    }
  });
}

/** Stores a fresh one-time code for a gate and records it as the flow's pending challenge. */
async function issueFlowCode(
  deps: ServiceDeps,
  flow: Flow,
  method: SentCodeMethod,
  now: Date,
): Promise<{ code: string; codeId: string; expiresAt: string }> {
  const codeId = deps.random.uuid();
  const { code, expiresAt } = await issueCode(deps, {
    id: codeId,
    purpose: 'flow',
    subject: flow.id,
    now,
  });
  await saveChallenge(deps, flow, { method, codeId, issuedAt: now.toISOString() });
  return { code, codeId, expiresAt };
}

/** Records a gate's pending challenge (its code, or the questions asked) on the flow. */
async function saveChallenge(
  deps: ServiceDeps,
  flow: Flow,
  pending: PendingChallenge,
): Promise<void> {
  await saveFlow(deps, deps.store, {
    ...flow,
    version: flow.version + 1,
    context: {
      ...flow.context,
      challenges: { ...flow.context.challenges, [pending.method]: pending },
    },
  });
}

/** How a gate's code travels. */
interface GateDelivery {
  /** The send throttle it counts against (text and call share the phone counter). */
  readonly channel: CodeChannel;
  /** Audited when the code could not be delivered. */
  readonly failureReason: string;
  /** Delivers the code to the address; throws when it was not delivered. */
  readonly send: (to: string, code: string) => Promise<void>;
}

/**
 * Sends a gate's code; never throws. A failed delivery voids the code (deliverOrVoid: no usable
 * code behind a message that did not leave) and is logged and audited, but the answer stays the
 * same as for a delivered one (and as for an unknown user).
 */
async function deliverGateCode(
  deps: ServiceDeps,
  ctx: RequestContext,
  flow: Flow,
  user: User | null,
  method: SentCodeMethod,
  now: Date,
  delivery: GateDelivery,
  sent: { readonly address: string; readonly code: string; readonly codeId: string },
): Promise<void> {
  try {
    await deliverOrVoid(deps, sent.codeId, now, () => delivery.send(sent.address, sent.code));
  } catch (error) {
    deps.log.warn(
      {
        supportCode: flow.correlationId,
        method,
        code: isSsprError(error) ? error.code : 'unknown',
      },
      'reset code not delivered',
    );
    try {
      await audit(deps, deps.store, ctx, {
        activity: PROGRESS,
        result: 'failure',
        resultReason: delivery.failureReason,
        details: { method },
        ...auditBase(flow, user),
      });
    } catch (auditError) {
      deps.log.warn({ supportCode: flow.correlationId, error: String(auditError) }, 'audit failed');
    }
  }
}

/**
 * A gate whose code the server sends (email, text, call): throttled per channel, issued, and sent
 * to the user's address. Unknown users get the same answer with nothing sent ("pretend we sent a
 * code"), and a delivery failure is logged and audited but answered like a success: an error here
 * would tell a real account from an unknown one.
 */
async function sendGateCode(
  deps: ServiceDeps,
  ctx: RequestContext,
  flow: Flow,
  user: User | null,
  policy: SsprPolicy,
  method: SentCodeMethod,
  now: Date,
  deadline: number | undefined,
  delivery: GateDelivery,
): Promise<ChallengeResult> {
  await claimCodeSend(deps, delivery.channel, subjectOf(deps, flow), async () => {
    await audit(deps, deps.store, ctx, {
      activity: 'Blocked from self-service password reset',
      result: 'success',
      resultReason: sendBlockedReason(delivery.channel),
      ...auditBase(flow, user),
    });
  });
  const { code, codeId, expiresAt } = await issueFlowCode(deps, flow, method, now);
  const address = user
    ? usableMethods(user, await deps.store.methods.listByUser(user.id), policy, {
        phone: deps.sms !== undefined,
      }).find((u) => u.method === method)?.address
    : undefined;
  if (address !== undefined) {
    // Delivery is waited for until the timing floor's deadline at most: a slow mail or SMS provider
    // must not make a known user's answer slower than an unknown one's. It finishes afterwards.
    await settleBy(
      deps,
      deliverGateCode(deps, ctx, flow, user, method, now, delivery, {
        address,
        code,
        codeId,
      }),
      deadline,
    );
  }
  return { method, sent: true, codeExpiresAt: expiresAt };
}

async function registeredQuestionIds(store: Store, userId: string): Promise<string[]> {
  const methods = await store.methods.listByUser(userId);
  const q = methods
    .filter((m) => m.status === 'active' && m.data.kind === 'securityQuestions')
    .at(-1);
  return q?.data.kind === 'securityQuestions' ? q.data.answers.map((a) => a.questionId) : [];
}

function syntheticQuestionIds(deps: ServiceDeps, flow: Flow, policy: SsprPolicy): string[] {
  const bits = pseudonymBits(deps, flow.context.typedUserId);
  const ids: string[] = [];
  for (let i = 0; ids.length < policy.securityQuestions.toRegister; i++) {
    const id = `q${String((((bits >>> (i % 24)) + i * 7) % 35) + 1).padStart(2, '0')}`;
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

export type VerifyInput =
  | { readonly method: 'totp' | SentCodeMethod; readonly code: string }
  | {
      readonly method: 'securityQuestions';
      readonly answers: readonly { readonly questionId: string; readonly answer: string }[];
    };

/** A gate: checks the code or answers, counting attempts and failures as Entra does. */
export async function verify(
  deps: ServiceDeps,
  ctx: RequestContext,
  flowId: string,
  input: VerifyInput,
): Promise<FlowView> {
  return withTimingFloor(deps, async () => {
    const flow = await loadFlow(deps, flowId);
    assertMethodOffered(flow, input.method);
    const subject = subjectOf(deps, flow);
    await assertNotBlocked(deps, subject, input.method);
    const user = await loadUser(deps.store, flow);
    const now = deps.clock.now();

    // Entra: 5 attempts per gate per hour; the next one blocks that gate for 24 hours. Text and
    // call to one mobile phone are one gate, as they are one method.
    const gate = factorOf(input.method);
    const gateKey = throttleKeys.gate(subject, gate);
    await deps.store.throttles.record(gateKey, now.toISOString());
    const attempts = await deps.store.throttles.count(
      gateKey,
      new Date(now.getTime() - HOUR_MS).toISOString(),
    );
    if (attempts > throttleLimits.gateAttemptsPerHour) {
      const until = await block(
        deps,
        ctx,
        flow,
        user,
        blockSubjects.gate(subject, gate),
        `Too many ${input.method} verification attempts in 1 hour`,
      );
      fail('GATE_THROTTLED', { retryAfterSeconds: secondsUntil(until, now) });
    }

    let nextFlow: Flow = flow;
    try {
      nextFlow = await checkProof(deps, flow, user, input);
    } catch (error) {
      if (
        isSsprError(error) &&
        ['CODE_INVALID', 'CODE_EXPIRED', 'CODE_REPLAYED', 'SECURITY_ANSWERS_INCORRECT'].includes(
          error.errorName,
        )
      ) {
        await recordFailedProof(deps, ctx, flow, user, subject, input.method, error.errorName);
      }
      throw error;
    }
    const passed = advance(nextFlow, { type: 'gate_passed', method: input.method }, now);
    await deps.store.transaction(async (tx) => {
      await saveFlow(deps, tx, passed);
      await audit(deps, tx, ctx, {
        activity: PROGRESS,
        result: 'success',
        resultReason: `User passed the ${input.method} verification`,
        details: { method: input.method, gate: passed.gatesPassed.length },
        ...auditBase(flow, user),
      });
    });
    return viewWithRules(deps, passed);
  });
}

async function recordFailedProof(
  deps: ServiceDeps,
  ctx: RequestContext,
  flow: Flow,
  user: User | null,
  subject: string,
  method: MethodName,
  reason: string,
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.throttles.record(throttleKeys.failedProof(subject), now.toISOString());
  await audit(deps, deps.store, ctx, {
    activity: PROGRESS,
    result: 'failure',
    resultReason: `User failed the ${method} verification (${reason})`,
    details: { method },
    ...auditBase(flow, user),
  });
  const failures = await deps.store.throttles.count(
    throttleKeys.failedProof(subject),
    new Date(now.getTime() - DAY_MS).toISOString(),
  );
  if (failures >= throttleLimits.failedProofsPerDay) {
    await block(
      deps,
      ctx,
      flow,
      user,
      blockSubjects.user(subject),
      'Too many failed verification attempts in 24 hours',
    );
  }
}

/** Returns the flow with the used challenge removed, or throws the precise failure. */
async function checkProof(
  deps: ServiceDeps,
  flow: Flow,
  user: User | null,
  input: VerifyInput,
): Promise<Flow> {
  const now = deps.clock.now();
  switch (input.method) {
    case 'totp': {
      if (!/^\d{6}$/.test(input.code)) fail('CODE_INVALID');
      const methods = user
        ? (await deps.store.methods.listByUser(user.id)).filter(
            (m) => m.status === 'active' && m.data.kind === 'totp',
          )
        : [];
      for (const m of methods) {
        if (m.data.kind !== 'totp') continue;
        const match = verifyTotp(deps.secretBox.open(m.data.secretEncrypted), input.code, now);
        if (match) {
          if (!(await deps.store.methods.claimTotpStep(m.id, match.step, now.toISOString())))
            fail('CODE_REPLAYED');
          return flow;
        }
      }
      return fail('CODE_INVALID');
    }
    case 'email':
    case 'sms':
    case 'voice':
    case 'officePhone': {
      const pending = flow.context.challenges[input.method];
      if (pending?.codeId === undefined) fail('NO_CHALLENGE_PENDING');
      const code = await deps.store.codes.findById(pending.codeId);
      if (code === null || code.usedAt !== null) fail('CODE_INVALID');
      await deps.store.codes.incrementAttempts(code.id);
      if (now.toISOString() >= code.expiresAt) fail('CODE_EXPIRED');
      const ok =
        user !== null && codeMatches(deps.settings.codeKey, code.id, input.code.trim(), code.hmac);
      if (!ok) fail('CODE_INVALID');
      if (!(await deps.store.codes.consume(code.id, now.toISOString()))) fail('CODE_INVALID');
      return flow;
    }
    case 'securityQuestions': {
      const pending = flow.context.challenges.securityQuestions;
      if (pending?.questionIds === undefined) fail('NO_CHALLENGE_PENDING');
      // Any wrong answer starts the selection over (Entra), so the same set cannot be hammered.
      const cleared: Flow = {
        ...flow,
        version: flow.version + 1,
        context: {
          ...flow.context,
          challenges: { ...flow.context.challenges, securityQuestions: undefined },
        },
      };
      const asked = pending.questionIds;
      const given = new Map(input.answers.map((a) => [a.questionId, a.answer]));
      const stored = user ? await storedAnswers(deps.store, user.id) : new Map<string, string>();
      let allOk =
        asked.length > 0 && given.size === asked.length && asked.every((id) => given.has(id));
      for (const id of asked) {
        const hash = stored.get(id) ?? (await dummyHash(deps));
        // Always hash, even for unknown users or missing answers, so timing does not differ.
        const ok = await deps.hasher.verify(hash, normalizeAnswer(given.get(id) ?? ''));
        allOk = allOk && ok && stored.has(id);
      }
      if (!allOk) {
        await saveFlow(deps, deps.store, cleared);
        fail('SECURITY_ANSWERS_INCORRECT');
      }
      await saveFlow(deps, deps.store, cleared);
      return { ...cleared, version: cleared.version };
    }
  }
}

async function storedAnswers(store: Store, userId: string): Promise<Map<string, string>> {
  const methods = await store.methods.listByUser(userId);
  const q = methods
    .filter((m) => m.status === 'active' && m.data.kind === 'securityQuestions')
    .at(-1);
  return new Map(
    q?.data.kind === 'securityQuestions'
      ? q.data.answers.map((a) => [a.questionId, a.answerHash])
      : [],
  );
}

/** The final step: checks the effective policy, sets the password, revokes sessions, notifies. */
export async function resetPassword(
  deps: ServiceDeps,
  ctx: RequestContext,
  flowId: string,
  newPassword: string,
): Promise<FlowView> {
  const flow = await loadFlow(deps, flowId);
  if (flow.state !== 'new_password') fail('GATES_INCOMPLETE');
  const user = await loadUser(deps.store, flow);
  if (user === null) fail('GATES_INCOMPLETE'); // unreachable: unknown users never pass a gate
  const policy = await getPolicy(deps.store);
  const fromDirectory = user.source === 'directory';
  const failure = async (error: unknown, reason?: string) => {
    if (!isSsprError(error)) return;
    await audit(deps, deps.store, ctx, {
      activity: 'Reset password (self-service)',
      result: 'failure',
      resultReason:
        reason ??
        (error.errorName === 'PASSWORD_BANNED'
          ? 'FuzzyPolicyViolationInvalidPassword'
          : error.errorName.startsWith('DIRECTORY_') || error.errorName.startsWith('ON_PREMISES_')
            ? `On-premises: ${error.code}`
            : 'PasswordPolicyViolation'),
      details: { code: error.code },
      ...auditBase(flow, user),
    });
  };
  let effective: EffectivePasswordPolicy = effectivePolicyFor(user);
  try {
    // The effective policy (cloud + the directory's, read live) is enforced here, before anything
    // is written, so a directory that skips rules on an administrative reset still gets them.
    if (fromDirectory) effective = await effectivePolicyOf(deps, user);
    if (fromDirectory) {
      const state = await agentLinkOf(deps).readAccountState(dnOf(user));
      assertWritable(state);
      assertPasswordAcceptable(deps, user, newPassword, policy, effective);
      await assertDirectoryRules(deps, user, newPassword, effective, state);
    } else {
      assertPasswordAcceptable(deps, user, newPassword, policy, effective);
    }
  } catch (error) {
    await failure(error);
    throw withRule(error);
  }
  const now = deps.clock.now();
  const subject = subjectOf(deps, flow);
  const clearCounters = async (tx: Store) => {
    await tx.throttles.clear(throttleKeys.gate(subject, ''));
    await tx.throttles.clear(throttleKeys.failedProof(subject));
    await tx.throttles.clear(throttleKeys.email(subject));
    await tx.throttles.clear(throttleKeys.phone(subject));
  };
  let done: Flow;
  if (fromDirectory) {
    // Claim the flow first (optimistic version bump), so two concurrent submissions can never
    // write twice; a refused writeback leaves the flow at the new-password step.
    const claimed: Flow = { ...flow, version: flow.version + 1 };
    await saveFlow(deps, deps.store, claimed);
    try {
      await agentLinkOf(deps).resetPassword(dnOf(user), newPassword, {
        unlock: true,
        mustChange: false,
      });
    } catch (error) {
      await failure(error);
      throw withRule(error);
    }
    done = advance(claimed, { type: 'password_reset' }, deps.clock.now());
    await rememberPassword(deps, user, newPassword, effective.historyCount ?? 0);
    await deps.store.transaction(async (tx) => {
      await saveFlow(deps, tx, done);
      const revoked = await tx.sessions.deleteByUser(user.id);
      await clearCounters(tx);
      await audit(deps, tx, ctx, {
        activity: 'Reset password (self-service)',
        result: 'success',
        details: {
          methods: done.gatesPassed,
          sessionsRevoked: revoked,
          onPremisesAgent: 'OpenSSPR agent',
          unlocked: true,
        },
        ...auditBase(flow, user),
      });
    });
  } else {
    const hash = await deps.hasher.hash(newPassword);
    done = advance(flow, { type: 'password_reset' }, now);
    await deps.store.transaction(async (tx) => {
      await saveFlow(deps, tx, done);
      await tx.users.setPasswordHash(user.id, hash, now.toISOString());
      const revoked = await tx.sessions.deleteByUser(user.id);
      await clearCounters(tx);
      await audit(deps, tx, ctx, {
        activity: 'Reset password (self-service)',
        result: 'success',
        details: { methods: done.gatesPassed, sessionsRevoked: revoked, onPremisesAgent: 'None' },
        ...auditBase(flow, user),
      });
    });
  }
  await notifyPasswordReset(deps, user, policy, flow.context.isAdmin);
  return viewOf(done, policy);
}

/** Unlock only ("I know my password but can't sign in"), when the policy allows it. */
export async function unlockAccount(
  deps: ServiceDeps,
  ctx: RequestContext,
  flowId: string,
): Promise<FlowView> {
  const flow = await loadFlow(deps, flowId);
  const policy = await getPolicy(deps.store);
  if (!policy.onPremises.allowUnlockWithoutReset) fail('UNLOCK_NOT_ALLOWED');
  if (flow.state !== 'new_password') fail('GATES_INCOMPLETE');
  const user = await loadUser(deps.store, flow);
  if (user === null) fail('GATES_INCOMPLETE');
  // Cloud-only accounts have no directory lockout to clear.
  if (user.source !== 'directory') fail('NOTHING_TO_UNLOCK');
  const claimed: Flow = { ...flow, version: flow.version + 1 };
  await saveFlow(deps, deps.store, claimed);
  try {
    const link = agentLinkOf(deps);
    const state = await link.readAccountState(dnOf(user));
    assertWritable(state);
    await link.unlock(dnOf(user));
  } catch (error) {
    if (isSsprError(error)) {
      await audit(deps, deps.store, ctx, {
        activity: 'Unlock user account (self-service)',
        result: 'failure',
        resultReason: `On-premises: ${error.code}`,
        ...auditBase(flow, user),
      });
    }
    throw error;
  }
  const done = advance(claimed, { type: 'account_unlocked' }, deps.clock.now());
  await deps.store.transaction(async (tx) => {
    await saveFlow(deps, tx, done);
    await audit(deps, tx, ctx, {
      activity: 'Unlock user account (self-service)',
      result: 'success',
      details: { methods: done.gatesPassed, onPremisesAgent: 'OpenSSPR agent' },
      ...auditBase(flow, user),
    });
  });
  return viewOf(done, policy);
}
