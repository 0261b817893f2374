import {
  availableQuestions as allQuestions,
  findQuestion,
} from '../domain/methods/security-questions.js';
import type { SsprPolicy } from '../domain/model/sspr-policy.js';
import type { ServiceDeps } from './deps.js';
import { getPolicy } from './policy-service.js';

export function questionText(id: string, policy: SsprPolicy): string {
  return findQuestion(id, policy.securityQuestions.custom)?.text ?? 'Security question';
}

/** The questions a user may register, and how many to answer. */
export async function availableQuestions(deps: ServiceDeps) {
  const policy = await getPolicy(deps.store);
  return {
    toRegister: policy.securityQuestions.toRegister,
    toReset: policy.securityQuestions.toReset,
    questions: allQuestions(policy.securityQuestions.custom),
  };
}
