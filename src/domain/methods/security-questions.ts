import type { CustomQuestion, SsprPolicy } from '../model/sspr-policy.js';
import type { Random } from '../ports/random.js';

export interface SecurityQuestion {
  readonly id: string;
  readonly text: string;
}

/**
 * The 35 predefined questions (our own wording). Ids are stable: registered answers refer to them,
 * so a question may be reworded only without changing its meaning, and an id is never reused.
 */
export const predefinedQuestions: readonly SecurityQuestion[] = [
  { id: 'q01', text: 'In what city were you born?' },
  { id: 'q02', text: 'What was the name of your first pet?' },
  { id: 'q03', text: 'What was the name of the street you lived on as a child?' },
  { id: 'q04', text: 'What was the name of your first school?' },
  { id: 'q05', text: 'What was the first name of your first teacher?' },
  { id: 'q06', text: 'What was the make and model of your first car?' },
  { id: 'q07', text: 'In what city or town did your parents meet?' },
  { id: 'q08', text: 'What was your childhood nickname?' },
  { id: 'q09', text: 'What is the first name of your oldest cousin?' },
  { id: 'q10', text: 'What was the name of your favourite childhood toy?' },
  { id: 'q11', text: 'What was the first concert you went to?' },
  { id: 'q12', text: 'What was the name of the company of your first job?' },
  { id: 'q13', text: 'In what city was your first job?' },
  { id: 'q14', text: 'What is the middle name of your oldest sibling?' },
  { id: 'q15', text: 'What was the first name of your childhood best friend?' },
  { id: 'q16', text: 'What was the name of the hospital where you were born?' },
  { id: 'q17', text: 'What was the destination of your first flight?' },
  { id: 'q18', text: 'What was the first book you remember reading?' },
  { id: 'q19', text: 'What was the name of your favourite teacher in secondary school?' },
  { id: 'q20', text: 'What was the mascot of your primary school?' },
  { id: 'q21', text: 'In what city did you meet your spouse or partner?' },
  { id: 'q22', text: 'What was the first film you saw in a cinema?' },
  { id: 'q23', text: 'What was the first musical instrument you learned to play?' },
  { id: 'q24', text: 'What is the name of the town where your grandparents lived?' },
  { id: 'q25', text: 'What was the house number of your childhood home?' },
  { id: 'q26', text: 'What was your favourite subject at school?' },
  { id: 'q27', text: 'What was the name of your first manager?' },
  { id: 'q28', text: 'What was the name of the first beach you visited?' },
  { id: 'q29', text: 'What was the colour of your first bicycle?' },
  { id: 'q30', text: 'What was the name of the first sports team you played for?' },
  { id: 'q31', text: "What was your grandmother's first name?" },
  { id: 'q32', text: "What was your grandfather's occupation?" },
  {
    id: 'q33',
    text: 'What is the name of the first restaurant you worked in or remember visiting?',
  },
  { id: 'q34', text: 'What was the name of your first stuffed animal?' },
  { id: 'q35', text: 'What was the first foreign country you visited?' },
];

const predefinedById: ReadonlyMap<string, SecurityQuestion> = new Map(
  predefinedQuestions.map((q) => [q.id, q]),
);

/** Answer length in characters (Unicode code points) after normalisation (Entra: 3–40). */
export const ANSWER_MIN_LENGTH = 3;
export const ANSWER_MAX_LENGTH = 40;

/**
 * The canonical form an answer is hashed in: NFKC, trimmed, inner whitespace collapsed to one space,
 * lower-cased. "  Paris " and "paris" match; any script is allowed.
 */
export function normalizeAnswer(answer: string): string {
  return answer.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** The predefined or custom question with this id, or null. */
export function findQuestion(
  id: string,
  custom: readonly CustomQuestion[] = [],
): SecurityQuestion | null {
  return predefinedById.get(id) ?? custom.find((q) => q.id === id) ?? null;
}

/** Every question a user may choose from: the predefined ones, then the policy's custom ones. */
export function availableQuestions(
  custom: readonly CustomQuestion[] = [],
): readonly SecurityQuestion[] {
  return [...predefinedQuestions, ...custom.map(({ id, text }) => ({ id, text }))];
}

export interface SecurityAnswerInput {
  readonly questionId: string;
  readonly answer: string;
}

export type SecurityQuestionProblemCode =
  | 'wrong_count'
  | 'unknown_question'
  | 'duplicate_question'
  | 'answer_too_short'
  | 'answer_too_long'
  | 'duplicate_answer';

/** One problem, addressed to a request field (`answers`, `answers.2.questionId`, `answers.2.answer`). */
export interface SecurityQuestionProblem {
  readonly field: string;
  readonly code: SecurityQuestionProblemCode;
  readonly message: string;
}

/**
 * Validates a registration against the policy: exactly `toRegister` answers (Entra), each question
 * predefined or one of the policy's custom questions, no question twice, each answer 3–40 characters
 * after normalisation, and no answer (normalised) used for two questions. Returns every problem
 * (empty when valid); the answers themselves never appear in a message.
 */
export function validateSecurityQuestionRegistration(
  answers: readonly SecurityAnswerInput[],
  policy: Pick<SsprPolicy['securityQuestions'], 'toRegister' | 'custom'>,
): readonly SecurityQuestionProblem[] {
  const problems: SecurityQuestionProblem[] = [];
  if (answers.length !== policy.toRegister) {
    problems.push({
      field: 'answers',
      code: 'wrong_count',
      message: `answer exactly ${String(policy.toRegister)} questions (got ${String(answers.length)})`,
    });
  }
  const seenQuestions = new Set<string>();
  const seenAnswers = new Set<string>();
  answers.forEach(({ questionId, answer }, i) => {
    if (findQuestion(questionId, policy.custom) === null) {
      problems.push({
        field: `answers.${String(i)}.questionId`,
        code: 'unknown_question',
        message: 'this question does not exist',
      });
    } else if (seenQuestions.has(questionId)) {
      problems.push({
        field: `answers.${String(i)}.questionId`,
        code: 'duplicate_question',
        message: 'the same question cannot be answered twice',
      });
    }
    seenQuestions.add(questionId);

    const normalized = normalizeAnswer(answer);
    const length = Array.from(normalized).length; // code points, not UTF-16 units
    if (length < ANSWER_MIN_LENGTH) {
      problems.push({
        field: `answers.${String(i)}.answer`,
        code: 'answer_too_short',
        message: `an answer has at least ${String(ANSWER_MIN_LENGTH)} characters`,
      });
    } else if (length > ANSWER_MAX_LENGTH) {
      problems.push({
        field: `answers.${String(i)}.answer`,
        code: 'answer_too_long',
        message: `an answer has at most ${String(ANSWER_MAX_LENGTH)} characters`,
      });
    } else if (seenAnswers.has(normalized)) {
      problems.push({
        field: `answers.${String(i)}.answer`,
        code: 'duplicate_answer',
        message: 'the same answer cannot be used for two questions',
      });
    }
    seenAnswers.add(normalized);
  });
  return problems;
}

/**
 * Picks `count` distinct question ids at random (partial Fisher–Yates with the injected Random),
 * in random order. Throws RangeError when fewer than `count` are registered: the caller must treat
 * the method as unusable rather than ask fewer questions than the policy requires.
 */
export function pickQuestions(
  registeredIds: readonly string[],
  count: number,
  random: Random,
): readonly string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be a whole number');
  if (count > registeredIds.length) {
    throw new RangeError(
      `cannot pick ${String(count)} questions out of ${String(registeredIds.length)} registered`,
    );
  }
  const pool = [...registeredIds];
  for (let i = 0; i < count; i++) {
    const j = i + random.int(pool.length - i);
    const picked = pool[j];
    const current = pool[i];
    if (picked === undefined || current === undefined) throw new Error('unreachable');
    pool[i] = picked;
    pool[j] = current;
  }
  return pool.slice(0, count);
}
