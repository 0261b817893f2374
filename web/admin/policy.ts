/**
 * The "Password reset" sections (product.md P4) over GET/PATCH /admin/policy. Each section is a
 * form that collects its part of the policy document; Save sends only what changed (PATCH is a
 * deep merge), Discard rebuilds the form from the last saved document. Validation messages sit
 * next to their fields, from the page's own checks and from the server's SSPR_4005 issues.
 */
import { api, ApiError } from '../shared/api.js';
import { attrs, el, setBusy, uid } from '../shared/dom.js';
import { appendRows, scroller, table } from '../shared/table.js';
import {
  ADMIN_ROLES,
  METHOD_NAMES,
  type AdminContext,
  type AdminRole,
  type Policy,
  type RoleGroup,
} from './context.js';
import { format, type MessageKey, type Messages } from './i18n.js';
import { renderAgents } from './agents.js';
import { roleLabel } from './users.js';
import { createStatus, field, radioGroup, switchInput, type Field } from './ui.js';
import { createGroupNames, groupLabel, groupPicker } from './group-picker.js';

export type PolicySection =
  | 'properties'
  | 'authentication-methods'
  | 'registration'
  | 'notifications'
  | 'customization'
  | 'on-premises'
  | 'administrator-policy';

export const POLICY_SECTIONS: readonly PolicySection[] = [
  'properties',
  'authentication-methods',
  'registration',
  'notifications',
  'customization',
  'on-premises',
  'administrator-policy',
];

type Values = Record<string, unknown>;

/** A built section form: its fields, what it would save, and where a server issue belongs. */
interface SectionForm {
  readonly nodes: readonly Node[];
  /** The section's values as a partial policy document, and the page's validation problems. */
  collect(): { values: Values; problems: [path: string, message: string][] };
  /** The field for a dotted policy path (the longest known prefix), for server issues. */
  fieldFor(path: string): Field | undefined;
}

type Builder = (t: Messages, policy: Policy, ctx: AdminContext) => SectionForm;

// ---- helpers ------------------------------------------------------------------------------------

function isPlainObject(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The smallest deep-merge patch turning `before` into `after` (arrays replace). A key the server
 * does not know yet (undefined) and an empty value (null) count as equal, so an unchanged new
 * field is never sent.
 */
export function changedPatch(before: unknown, after: Values): Values {
  const out: Values = {};
  const base = isPlainObject(before) ? before : {};
  for (const [key, value] of Object.entries(after)) {
    const old = base[key];
    if (isPlainObject(value)) {
      const inner = changedPatch(old, value);
      if (Object.keys(inner).length > 0) out[key] = inner;
    } else if (JSON.stringify(old ?? null) !== JSON.stringify(value ?? null)) {
      out[key] = value;
    }
  }
  return out;
}

function fieldLookup(fields: Map<string, Field>): (path: string) => Field | undefined {
  return (path) => {
    const parts = path.split('.');
    while (parts.length > 0) {
      const found = fields.get(parts.join('.'));
      if (found !== undefined) return found;
      parts.pop();
    }
    return undefined;
  };
}

function numberInput(value: number, min: number, max: number): HTMLInputElement {
  return el('input', {
    type: 'number',
    value: String(value),
    min: String(min),
    max: String(max),
    step: '1',
    required: true,
    inputMode: 'numeric',
  });
}

function intIn(input: HTMLInputElement, min: number, max: number): number | null {
  const text = input.value.trim();
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** A switch field bound to a policy path. */
function switchField(
  fields: Map<string, Field>,
  path: string,
  label: string,
  checked: boolean,
  help?: string,
): Field {
  const f = field(label, switchInput(checked), help);
  fields.set(path, f);
  return f;
}

const checked = (f: Field): boolean => (f.control as HTMLInputElement).checked;

// ---- the sections -------------------------------------------------------------------------------

const properties: Builder = (t, policy) => {
  const fields = new Map<string, Field>();
  const scope = radioGroup(
    t.propertiesLegend,
    'enabledFor',
    [
      { value: 'none', label: t.scopeNone },
      { value: 'selected', label: t.scopeSelected },
      { value: 'all', label: t.scopeAll },
    ],
    policy.enabledFor,
  );
  const group = field(
    t.groupId,
    el('input', { type: 'text', value: policy.selectedGroupId ?? '', maxLength: 200 }),
    t.groupIdHelp,
  );
  const scopeField: Field = {
    wrapper: scope.fieldset,
    control: scope.inputs[0] ?? el('input'),
    setError: scope.setError,
  };
  fields.set('enabledFor', scopeField);
  fields.set('selectedGroupId', group);
  // Find the group by name, or paste its id; a saved id is shown with its name when known.
  const names = createGroupNames();
  const picker = groupPicker(t, group.control as HTMLInputElement, names, () => {
    group.setError(null);
  });
  if (policy.selectedGroupId !== null) names.load(picker.refresh);
  const groupBox = el('div', { className: 'group-choice' }, picker.node, group.wrapper);
  const sync = (): void => {
    groupBox.hidden = scope.value() !== 'selected';
  };
  for (const input of scope.inputs) input.addEventListener('change', sync);
  sync();
  return {
    nodes: [scope.fieldset, groupBox],
    fieldFor: fieldLookup(fields),
    collect: () => {
      const enabledFor = scope.value();
      const groupId = group.control.value.trim();
      const problems: [string, string][] = [];
      if (enabledFor === 'selected' && groupId.length === 0)
        problems.push(['selectedGroupId', t.groupRequired]);
      return {
        values: {
          enabledFor,
          selectedGroupId: groupId.length > 0 ? groupId : null,
        },
        problems,
      };
    },
  };
};

function methodLabel(t: Messages, method: string): string {
  const key = `method_${method}` as MessageKey;
  return key in t ? t[key] : method;
}

const authenticationMethods: Builder = (t, policy) => {
  const fields = new Map<string, Field>();
  const required = radioGroup(
    t.methodsRequiredLegend,
    'methodsRequired',
    [
      { value: '1', label: '1' },
      { value: '2', label: '2' },
    ],
    String(policy.methodsRequired) as '1' | '2',
  );
  fields.set('methodsRequired', {
    wrapper: required.fieldset,
    control: required.inputs[0] ?? el('input'),
    setError: required.setError,
  });

  const methodError = el('p', { className: 'field-error', id: uid('err'), hidden: true });
  const methodBoxes = new Map<string, HTMLInputElement>();
  const methodSet = el('fieldset', {}, el('legend', {}, t.methodsLegend));
  for (const method of METHOD_NAMES) {
    const box = el('input', { type: 'checkbox', checked: policy.methods[method] === true });
    box.setAttribute('aria-describedby', methodError.id);
    methodBoxes.set(method, box);
    // Passkeys and app notifications are part of the policy document but not built yet.
    const label =
      method === 'passkey' || method === 'appNotification'
        ? `${methodLabel(t, method)} (${t.notAvailableYet})`
        : methodLabel(t, method);
    methodSet.append(field(label, box).wrapper);
  }
  methodSet.append(methodError);
  const firstBox = methodBoxes.get('totp') ?? el('input');
  fields.set('methods', {
    wrapper: methodSet,
    control: firstBox,
    setError: (message) => {
      methodError.hidden = message === null;
      methodError.textContent = message ?? '';
    },
  });

  const toRegister = field(
    t.questionsToRegister,
    numberInput(policy.securityQuestions.toRegister, 3, 5),
    t.questionsRange,
  );
  const toReset = field(
    t.questionsToReset,
    numberInput(policy.securityQuestions.toReset, 3, 5),
    t.questionsRange,
  );
  fields.set('securityQuestions.toRegister', toRegister);
  fields.set('securityQuestions.toReset', toReset);

  // Custom questions: a list of text fields, each with a Remove button; at most 20.
  interface Row {
    id: string;
    field: Field;
    item: HTMLLIElement;
  }
  const rows: Row[] = [];
  const list = el('ol', { className: 'question-list' });
  const addButton = el('button', { type: 'button', className: 'secondary' }, t.addQuestion);
  const relabel = (): void => {
    rows.forEach((row, index) => {
      const n = String(index + 1);
      const label = row.item.querySelector('label');
      if (label !== null) label.textContent = format(t.customQuestionN, { n });
      row.item
        .querySelector('button')
        ?.setAttribute('aria-label', format(t.removeQuestionN, { n }));
      fields.set(`securityQuestions.custom.${String(index)}`, row.field);
    });
    for (const key of [...fields.keys()])
      if (key.startsWith('securityQuestions.custom.') && Number(key.split('.')[2]) >= rows.length)
        fields.delete(key);
    addButton.disabled = rows.length >= 20;
  };
  const addRow = (id: string, text: string): Row => {
    const input = el('input', { type: 'text', value: text, maxLength: 200 });
    const f = field('', input);
    const remove = el('button', { type: 'button', className: 'secondary small' }, t.remove);
    const item = el('li', { className: 'question-row' }, f.wrapper, remove);
    const row = { id, field: f, item };
    remove.addEventListener('click', () => {
      const index = rows.indexOf(row);
      rows.splice(index, 1);
      item.remove();
      relabel();
      (rows[Math.min(index, rows.length - 1)]?.field.control ?? addButton).focus();
    });
    rows.push(row);
    list.append(item);
    return row;
  };
  for (const q of policy.securityQuestions.custom) addRow(q.id, q.text);
  addButton.addEventListener('click', () => {
    if (rows.length >= 20) return;
    const suffix = crypto.randomUUID().replaceAll('-', '').slice(0, 12);
    const row = addRow(`custom-${suffix}`, '');
    relabel();
    row.field.control.focus();
  });
  relabel();
  const questions = el(
    'fieldset',
    {},
    el('legend', {}, t.customQuestionsLegend),
    el('p', { className: 'help' }, t.customQuestionsHelp),
    list,
    addButton,
  );

  return {
    nodes: [required.fieldset, methodSet, toRegister.wrapper, toReset.wrapper, questions],
    fieldFor: fieldLookup(fields),
    collect: () => {
      const problems: [string, string][] = [];
      const methods: Record<string, boolean> = {};
      for (const [method, box] of methodBoxes) methods[method] = box.checked;
      const needed = Number(required.value());
      const enabled = Object.values(methods).filter(Boolean).length;
      if (enabled < needed) problems.push(['methods', format(t.tooFewMethods, { n: needed })]);
      const reg = intIn(toRegister.control as HTMLInputElement, 3, 5);
      const res = intIn(toReset.control as HTMLInputElement, 3, 5);
      if (reg === null) problems.push(['securityQuestions.toRegister', t.questionsRange]);
      if (res === null) problems.push(['securityQuestions.toReset', t.questionsRange]);
      if (reg !== null && res !== null && reg < res)
        problems.push(['securityQuestions.toRegister', t.registerAtLeastReset]);
      const custom = rows.map((row, index) => {
        const text = row.field.control.value.trim();
        if (text.length < 3 || text.length > 200)
          problems.push([`securityQuestions.custom.${String(index)}`, t.questionLength]);
        return { id: row.id, text };
      });
      return {
        values: {
          methodsRequired: needed,
          methods,
          securityQuestions: {
            toRegister: reg ?? policy.securityQuestions.toRegister,
            toReset: res ?? policy.securityQuestions.toReset,
            custom,
          },
        },
        problems,
      };
    },
  };
};

const registration: Builder = (t, policy) => {
  const fields = new Map<string, Field>();
  const require = switchField(
    fields,
    'registration.requireOnSignIn',
    t.requireOnSignIn,
    policy.registration.requireOnSignIn,
    t.requireOnSignInHelp,
  );
  const days = field(
    t.reconfirmDays,
    numberInput(policy.registration.reconfirmDays, 0, 730),
    t.reconfirmDaysHelp,
  );
  fields.set('registration.reconfirmDays', days);
  return {
    nodes: [require.wrapper, days.wrapper],
    fieldFor: fieldLookup(fields),
    collect: () => {
      const n = intIn(days.control as HTMLInputElement, 0, 730);
      return {
        values: {
          registration: {
            requireOnSignIn: checked(require),
            reconfirmDays: n ?? policy.registration.reconfirmDays,
          },
        },
        problems: n === null ? [['registration.reconfirmDays', t.reconfirmDaysInvalid]] : [],
      };
    },
  };
};

const notifications: Builder = (t, policy) => {
  const fields = new Map<string, Field>();
  const user = switchField(
    fields,
    'notifications.notifyUserOnReset',
    t.notifyUser,
    policy.notifications.notifyUserOnReset,
    t.notifyUserHelp,
  );
  const admins = switchField(
    fields,
    'notifications.notifyAdminsOnAdminReset',
    t.notifyAdmins,
    policy.notifications.notifyAdminsOnAdminReset,
    t.notifyAdminsHelp,
  );
  return {
    nodes: [user.wrapper, admins.wrapper],
    fieldFor: fieldLookup(fields),
    collect: () => ({
      values: {
        notifications: {
          notifyUserOnReset: checked(user),
          notifyAdminsOnAdminReset: checked(admins),
        },
      },
      problems: [],
    }),
  };
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'];
const LOGO_MAX_BYTES = 100 * 1024;

function isHelpdeskLink(value: string): boolean {
  if (EMAIL.test(value)) return true;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

const customization: Builder = (t, policy) => {
  const fields = new Map<string, Field>();
  const c = policy.customization;
  const helpdesk = field(
    t.helpdeskLink,
    el('input', {
      type: 'text',
      value: c.helpdeskLink ?? '',
      maxLength: 2048,
      autocomplete: 'off',
    }),
    t.helpdeskLinkHelp,
  );
  const orgName = field(
    t.organizationName,
    el('input', {
      type: 'text',
      value: c.organizationName ?? '',
      maxLength: 64,
      autocomplete: 'organization',
    }),
    t.organizationNameHelp,
  );
  fields.set('customization.helpdeskLink', helpdesk);
  fields.set('customization.organizationName', orgName);

  const useAccent = field(
    t.useAccent,
    el('input', { type: 'checkbox', checked: typeof c.accentColor === 'string' }),
  );
  const accentInput = el('input', {
    type: 'color',
    value: typeof c.accentColor === 'string' ? c.accentColor : '#0b5cad',
  });
  const accent = field(t.accentColor, accentInput, t.accentColorHelp);
  fields.set('customization.accentColor', accent);
  const syncAccent = (): void => {
    accentInput.disabled = !(useAccent.control as HTMLInputElement).checked;
  };
  useAccent.control.addEventListener('change', syncAccent);
  syncAccent();

  // Logo: read with FileReader into a data URL, previewed (img-src allows data:), PATCHed as is.
  let logo: string | null = c.logo ?? null;
  const file = el('input', { type: 'file', accept: LOGO_TYPES.join(',') });
  const logoField = field(t.logo, file, t.logoHelp);
  fields.set('customization.logo', logoField);
  const preview = el('img', { className: 'logo-preview', alt: t.logoPreviewAlt });
  const noLogo = el('p', { className: 'help' }, t.noLogo);
  const removeLogo = el('button', { type: 'button', className: 'secondary' }, t.removeLogo);
  const showLogo = (): void => {
    preview.hidden = logo === null;
    if (logo !== null) preview.src = logo;
    else preview.removeAttribute('src');
    noLogo.hidden = logo !== null;
    removeLogo.hidden = logo === null;
  };
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    logoField.setError(null);
    if (chosen === undefined) return;
    if (!LOGO_TYPES.includes(chosen.type)) {
      logoField.setError(t.logoType);
      file.value = '';
      return;
    }
    if (chosen.size > LOGO_MAX_BYTES) {
      logoField.setError(t.logoTooBig);
      file.value = '';
      return;
    }
    const reader = new FileReader();
    reader.addEventListener('load', () => {
      if (typeof reader.result === 'string') logo = reader.result;
      showLogo();
    });
    reader.addEventListener('error', () => {
      logoField.setError(t.logoType);
    });
    reader.readAsDataURL(chosen);
  });
  removeLogo.addEventListener('click', () => {
    logo = null;
    file.value = '';
    showLogo();
    file.focus();
  });
  showLogo();
  const logoBox = el('div', { className: 'logo-box' }, preview, noLogo, removeLogo);

  return {
    nodes: [
      helpdesk.wrapper,
      orgName.wrapper,
      useAccent.wrapper,
      accent.wrapper,
      logoField.wrapper,
      logoBox,
    ],
    fieldFor: fieldLookup(fields),
    collect: () => {
      const problems: [string, string][] = [];
      const link = helpdesk.control.value.trim();
      if (link.length > 0 && !isHelpdeskLink(link))
        problems.push(['customization.helpdeskLink', t.helpdeskLinkInvalid]);
      const name = orgName.control.value.trim();
      if (name.length > 64)
        problems.push(['customization.organizationName', t.organizationNameLong]);
      const color = (useAccent.control as HTMLInputElement).checked
        ? accentInput.value.toLowerCase()
        : null;
      if (color !== null && !/^#[0-9a-f]{6}$/.test(color))
        problems.push(['customization.accentColor', t.accentColorHelp]);
      return {
        values: {
          customization: {
            helpdeskLink: link.length > 0 ? link : null,
            organizationName: name.length > 0 ? name : null,
            accentColor: color,
            logo,
          },
        },
        problems,
      };
    },
  };
};

const onPremises: Builder = (t, policy) => {
  const fields = new Map<string, Field>();
  const writeback = switchField(
    fields,
    'onPremises.writeback',
    t.writeback,
    policy.onPremises.writeback,
    t.writebackHelp,
  );
  const unlock = switchField(
    fields,
    'onPremises.allowUnlockWithoutReset',
    t.allowUnlock,
    policy.onPremises.allowUnlockWithoutReset,
    t.allowUnlockHelp,
  );
  return {
    nodes: [writeback.wrapper, unlock.wrapper],
    fieldFor: fieldLookup(fields),
    collect: () => ({
      values: {
        onPremises: { writeback: checked(writeback), allowUnlockWithoutReset: checked(unlock) },
      },
      problems: [],
    }),
  };
};

const ROLE_GROUPS_MAX = 50;
const GROUP_ID_MAX = 200;

/**
 * "Administrator roles from groups" (policy `administrators.roleGroups`): the mappings as a table
 * with a Remove button per row, and a role + group id to add one. Changes stay in the page until
 * the section is saved; PATCH replaces the whole array, and changedPatch sends it only when it
 * changed. Only a Global Administrator may change it (the API answers SSPR_2002 to others), so
 * for other roles the fieldset is disabled (which survives setBusy) and a note says why.
 */
function roleGroupsEditor(
  t: Messages,
  initial: readonly RoleGroup[],
  editable: boolean,
): { node: HTMLElement; field: Field; value: () => RoleGroup[] } {
  const rows: RoleGroup[] = initial.map((r) => ({ role: r.role, groupId: r.groupId }));
  const grid = table(
    t.roleGroupsCaption,
    [t.roleGroupRole, t.roleGroupColumn, t.roleGroupActions],
    [],
  );
  const body = grid.tBodies[0] ?? grid.createTBody();
  const gridBox = scroller(t.roleGroupsCaption, grid);
  const none = el('p', { className: 'help' }, t.roleGroupsNone);
  // Announces adds and removals (aria-live without role=status: the form's status stays the first).
  const announce = attrs(el('p', { className: 'visually-hidden' }), { 'aria-live': 'polite' });
  const listError = el('p', { className: 'field-error', id: uid('err'), hidden: true });

  const select = el('select');
  for (const role of ADMIN_ROLES) select.append(el('option', { value: role }, roleLabel(t, role)));
  const roleField = field(t.roleGroupRole, select);
  const groupField = field(
    t.roleGroupId,
    el('input', { type: 'text', maxLength: GROUP_ID_MAX, autocomplete: 'off' }),
  );
  const addButton = el('button', { type: 'button', className: 'secondary' }, t.addRoleGroup);
  // Find the group by name (fills the id field), or paste its id.
  const names = createGroupNames();
  const picker = groupPicker(t, groupField.control as HTMLInputElement, names, () => {
    groupField.setError(null);
  });

  /** The group's name over its id when the name is known, else its id. */
  const groupCell = (groupId: string): Node => {
    const group = names.get(groupId);
    const id = el('span', { className: 'group-id' }, groupId);
    return group === undefined ? id : el('span', {}, groupLabel(t, group), ' ', el('br'), id);
  };
  const describe = (r: RoleGroup): Record<string, string> => ({
    role: roleLabel(t, r.role),
    group: names.get(r.groupId)?.displayName ?? r.groupId,
  });
  const render = (): void => {
    body.replaceChildren();
    appendRows(
      body,
      rows.map((r) => {
        const remove = el('button', { type: 'button', className: 'secondary small' }, t.remove);
        remove.setAttribute('aria-label', format(t.removeRoleGroup, describe(r)));
        remove.addEventListener('click', () => {
          const index = rows.indexOf(r);
          rows.splice(index, 1);
          render();
          announce.textContent = format(t.roleGroupRemoved, describe(r));
          const next = body.querySelectorAll('button')[Math.min(index, rows.length - 1)];
          (next ?? select).focus();
        });
        return [roleLabel(t, r.role), groupCell(r.groupId), remove];
      }),
    );
    gridBox.hidden = rows.length === 0;
    none.hidden = rows.length > 0;
  };

  const add = (): void => {
    groupField.setError(null);
    const groupId = groupField.control.value.trim();
    const role = select.value as AdminRole;
    let problem: string | null = null;
    if (groupId.length === 0 || groupId.length > GROUP_ID_MAX) problem = t.roleGroupIdRequired;
    else if (rows.some((r) => r.role === role && r.groupId === groupId))
      problem = t.roleGroupDuplicate;
    else if (rows.length >= ROLE_GROUPS_MAX) problem = t.roleGroupsMax;
    if (problem !== null) {
      groupField.setError(problem);
      groupField.control.focus();
      return;
    }
    const added = { role, groupId };
    rows.push(added);
    render();
    groupField.control.value = '';
    picker.refresh();
    announce.textContent = format(t.roleGroupAdded, describe(added));
    groupField.control.focus();
  };
  addButton.addEventListener('click', add);
  // Enter in the group id adds the mapping (instead of saving the whole section).
  groupField.control.addEventListener('keydown', (event) => {
    if (!(event instanceof KeyboardEvent) || event.key !== 'Enter') return;
    event.preventDefault();
    add();
  });
  render();
  if (rows.length > 0)
    names.load(() => {
      // With the names: render again, keeping the focus on the same Remove button.
      const buttons = (): HTMLButtonElement[] => Array.from(body.querySelectorAll('button'));
      const focused = buttons().findIndex((b) => b === document.activeElement);
      render();
      if (focused >= 0) buttons()[focused]?.focus();
    });

  const fieldset = el(
    'fieldset',
    { disabled: !editable, className: 'role-groups' },
    el('legend', {}, t.roleGroupsLegend),
    el('p', { className: 'help' }, t.roleGroupsHelp),
    ...(editable ? [] : [el('p', { className: 'notice' }, t.roleGroupsGlobalOnly)]),
    gridBox,
    none,
    listError,
    picker.node,
    el('div', { className: 'role-group-add' }, roleField.wrapper, groupField.wrapper, addButton),
    announce,
  );
  return {
    node: fieldset,
    // Server issues about the array (or one of its items) are shown under the table.
    field: {
      wrapper: fieldset,
      control: groupField.control,
      setError: (message) => {
        listError.hidden = message === null;
        listError.textContent = message ?? '';
      },
    },
    value: () => rows.map((r) => ({ role: r.role, groupId: r.groupId })),
  };
}

const administrators: Builder = (t, policy, ctx) => {
  const fields = new Map<string, Field>();
  const allowed = switchField(
    fields,
    'administrators.allowedToUseSspr',
    t.allowedToUseSspr,
    policy.administrators.allowedToUseSspr,
    t.allowedToUseSsprHelp,
  );
  const mayGrant = ctx.session.roles.includes('globalAdministrator');
  const roleGroups = roleGroupsEditor(t, policy.administrators.roleGroups, mayGrant);
  fields.set('administrators.roleGroups', roleGroups.field);
  return {
    nodes: [el('p', {}, t.adminPolicyText), allowed.wrapper, roleGroups.node],
    fieldFor: fieldLookup(fields),
    collect: () => ({
      values: {
        administrators: {
          allowedToUseSspr: checked(allowed),
          // Only sent when it changed (changedPatch); never by roles that may not change it.
          ...(mayGrant ? { roleGroups: roleGroups.value() } : {}),
        },
      },
      problems: [],
    }),
  };
};

const builders: Record<PolicySection, Builder> = {
  properties,
  'authentication-methods': authenticationMethods,
  registration,
  notifications,
  customization,
  'on-premises': onPremises,
  'administrator-policy': administrators,
};

const intros: Record<PolicySection, MessageKey> = {
  properties: 'propertiesIntro',
  'authentication-methods': 'methodsIntro',
  registration: 'registrationIntro',
  notifications: 'notificationsIntro',
  customization: 'customizationIntro',
  'on-premises': 'onPremisesIntro',
  'administrator-policy': 'administratorsIntro',
};

// ---- rendering ----------------------------------------------------------------------------------

/** Renders one policy section into `container` (after loading the current document). */
export async function renderPolicySection(
  ctx: AdminContext,
  container: HTMLElement,
  section: PolicySection,
): Promise<void> {
  const t = ctx.t;
  let policy = await api<Policy>('GET', '/admin/policy');
  const canWrite = ctx.can('policy');
  const status = createStatus(t);
  const form = el('form', { noValidate: true, className: 'policy-form' });
  const fieldsBox = el('div');
  const save = el('button', { type: 'submit' }, t.save);
  const discard = el('button', { type: 'button', className: 'secondary' }, t.discard);
  let built: SectionForm = builders[section](t, policy, ctx);

  const build = (): void => {
    built = builders[section](t, policy, ctx);
    fieldsBox.replaceChildren(...built.nodes);
  };
  build();
  form.append(
    el('p', { className: 'intro' }, t[intros[section]]),
    ...(canWrite ? [] : [el('p', { className: 'notice' }, t.readOnlyRole)]),
    fieldsBox,
    el('div', { className: 'actions' }, save, discard),
    status.element,
  );
  save.disabled = !canWrite;
  container.replaceChildren(form);

  const clearErrors = (): void => {
    for (const control of Array.from(form.querySelectorAll('[aria-invalid="true"]')))
      control.removeAttribute('aria-invalid');
    for (const error of Array.from(form.querySelectorAll<HTMLElement>('.field-error'))) {
      error.hidden = true;
      error.textContent = '';
    }
  };

  /** Puts each message next to its field; returns those that have no field. */
  const showProblems = (problems: readonly (readonly [string, string])[]): string[] => {
    const orphans: string[] = [];
    let first: HTMLElement | undefined;
    for (const [path, message] of problems) {
      const target = built.fieldFor(path);
      if (target === undefined) {
        orphans.push(`${path}: ${message}`);
        continue;
      }
      target.setError(message);
      first ??= target.control;
    }
    first?.focus();
    return orphans;
  };

  discard.addEventListener('click', () => {
    build();
    status.info(t.discarded);
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!canWrite) {
      status.info(t.readOnlyRole);
      return;
    }
    clearErrors();
    const { values, problems } = built.collect();
    if (problems.length > 0) {
      const orphans = showProblems(problems);
      status.fail([t.fixFields, ...orphans].join(' '));
      return;
    }
    const patch = changedPatch(policy, values);
    if (Object.keys(patch).length === 0) {
      status.info(t.nothingToSave);
      return;
    }
    setBusy(form, true);
    status.info(t.saving);
    void (async () => {
      try {
        policy = await api<Policy>('PATCH', '/admin/policy', patch);
        status.ok(t.saved);
      } catch (error) {
        const issues =
          error instanceof ApiError
            ? (error.details as { issues?: { path: string; message: string }[] } | undefined)
                ?.issues
            : undefined;
        status.error(error);
        if (Array.isArray(issues)) {
          const orphans = showProblems(issues.map((i) => [i.path, i.message] as const));
          if (orphans.length > 0) status.element.append(el('p', {}, orphans.join(' ')));
        }
      } finally {
        setBusy(form, false);
        save.disabled = !canWrite;
      }
    })();
  });

  if (section === 'on-premises') {
    const agents = el('div', { className: 'agents' });
    container.append(agents);
    await renderAgents(ctx, agents);
  }
}
