import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../../test/fakes/seeded-random.js';
import type { Random } from '../ports/random.js';
import {
  availableQuestions,
  findQuestion,
  normalizeAnswer,
  pickQuestions,
  predefinedQuestions,
  validateSecurityQuestionRegistration,
  type SecurityAnswerInput,
} from './security-questions.js';

describe('predefinedQuestions', () => {
  it('has 35 questions with ids q01…q35 and distinct texts', () => {
    expect(predefinedQuestions).toHaveLength(35);
    expect(predefinedQuestions.map((q) => q.id)).toEqual(
      Array.from({ length: 35 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`),
    );
    expect(new Set(predefinedQuestions.map((q) => q.text.toLowerCase())).size).toBe(35);
    for (const q of predefinedQuestions) {
      expect(q.text.length).toBeGreaterThanOrEqual(3);
      expect(q.text.length).toBeLessThanOrEqual(200);
      expect(q.text.endsWith('?')).toBe(true);
    }
  });
});

describe('findQuestion / availableQuestions', () => {
  const custom = [{ id: 'custom-badge', text: 'What number was on your first badge?' }];

  it('finds predefined and custom questions', () => {
    expect(findQuestion('q01')?.text).toBe(predefinedQuestions[0]?.text);
    expect(findQuestion('custom-badge', custom)?.text).toBe(custom[0]?.text);
    expect(findQuestion('custom-badge')).toBeNull();
    expect(findQuestion('q36', custom)).toBeNull();
  });

  it('lists the predefined questions then the custom ones', () => {
    const all = availableQuestions(custom);
    expect(all).toHaveLength(36);
    expect(all[35]).toEqual(custom[0]);
  });
});

describe('normalizeAnswer', () => {
  it.each([
    ['  Paris ', 'paris'],
    ['New\t\tYork   City', 'new york city'],
    ['ＭＵＮＩＣＨ', 'munich'],
    ['Ｍünchen', 'münchen'],
    ['Zu\u0308rich', 'zürich'],
    ['Łódź', 'łódź'],
    ['東京', '東京'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeAnswer(input)).toBe(expected);
  });
});

describe('validateSecurityQuestionRegistration', () => {
  const policy = {
    toRegister: 3,
    custom: [{ id: 'custom-badge', text: 'What number was on your first badge?' }],
  };
  const valid: SecurityAnswerInput[] = [
    { questionId: 'q01', answer: 'Paris' },
    { questionId: 'q02', answer: 'Rex the dog' },
    { questionId: 'custom-badge', answer: '4711' },
  ];

  it('accepts a valid set', () => {
    expect(validateSecurityQuestionRegistration(valid, policy)).toEqual([]);
  });

  it('needs exactly toRegister answers', () => {
    expect(validateSecurityQuestionRegistration(valid.slice(0, 2), policy)).toEqual([
      expect.objectContaining({ field: 'answers', code: 'wrong_count' }),
    ]);
    const four = [...valid, { questionId: 'q03', answer: 'Elm street' }];
    expect(validateSecurityQuestionRegistration(four, policy)).toEqual([
      expect.objectContaining({ field: 'answers', code: 'wrong_count' }),
    ]);
    expect(validateSecurityQuestionRegistration(four, { ...policy, toRegister: 4 })).toEqual([]);
  });

  it('rejects unknown question ids, including custom ids the policy does not define', () => {
    const answers = [valid[0]!, { questionId: 'q99', answer: 'abc' }, valid[2]!];
    expect(validateSecurityQuestionRegistration(answers, policy)).toEqual([
      expect.objectContaining({ field: 'answers.1.questionId', code: 'unknown_question' }),
    ]);
    expect(validateSecurityQuestionRegistration(valid, { ...policy, custom: [] })).toEqual([
      expect.objectContaining({ field: 'answers.2.questionId', code: 'unknown_question' }),
    ]);
  });

  it('rejects the same question twice', () => {
    const answers = [valid[0]!, valid[1]!, { questionId: 'q01', answer: 'Lyon' }];
    expect(validateSecurityQuestionRegistration(answers, policy)).toEqual([
      expect.objectContaining({ field: 'answers.2.questionId', code: 'duplicate_question' }),
    ]);
  });

  it('measures answer length after normalisation, in characters', () => {
    const answers = (answer: string): SecurityAnswerInput[] => [
      valid[0]!,
      valid[1]!,
      { questionId: 'q03', answer },
    ];
    expect(validateSecurityQuestionRegistration(answers('  ab   '), policy)).toEqual([
      expect.objectContaining({ field: 'answers.2.answer', code: 'answer_too_short' }),
    ]);
    expect(validateSecurityQuestionRegistration(answers('abc'), policy)).toEqual([]);
    expect(validateSecurityQuestionRegistration(answers('x'.repeat(40)), policy)).toEqual([]);
    expect(validateSecurityQuestionRegistration(answers('x'.repeat(41)), policy)).toEqual([
      expect.objectContaining({ field: 'answers.2.answer', code: 'answer_too_long' }),
    ]);
    // 40 astral characters are 80 UTF-16 units but 40 characters.
    expect(validateSecurityQuestionRegistration(answers('😀'.repeat(40)), policy)).toEqual([]);
  });

  it('rejects the same answer (after normalisation) for two questions', () => {
    const answers = [valid[0]!, { questionId: 'q02', answer: '  PARIS ' }, valid[2]!];
    expect(validateSecurityQuestionRegistration(answers, policy)).toEqual([
      expect.objectContaining({ field: 'answers.1.answer', code: 'duplicate_answer' }),
    ]);
  });

  it('reports every problem at once and never echoes an answer', () => {
    const answers = [
      { questionId: 'q01', answer: 'secret-answer-1' },
      { questionId: 'q01', answer: 'secret-answer-1' },
    ];
    const problems = validateSecurityQuestionRegistration(answers, policy);
    expect(problems.map((p) => p.code)).toEqual([
      'wrong_count',
      'duplicate_question',
      'duplicate_answer',
    ]);
    expect(JSON.stringify(problems)).not.toContain('secret-answer');
  });
});

describe('pickQuestions', () => {
  const ids = ['q01', 'q02', 'q03', 'q04', 'q05'];

  it('picks count distinct registered ids', () => {
    const random = createSeededRandom('pick');
    for (let i = 0; i < 20; i++) {
      const picked = pickQuestions(ids, 3, random);
      expect(picked).toHaveLength(3);
      expect(new Set(picked).size).toBe(3);
      for (const id of picked) expect(ids).toContain(id);
    }
  });

  it('uses the injected random (Fisher–Yates over the remaining pool)', () => {
    const draws = [4, 0, 2];
    const random: Random = {
      bytes: () => new Uint8Array(),
      int: (max) => {
        const d = draws.shift();
        if (d === undefined || d >= max) throw new Error('unexpected draw');
        return d;
      },
      uuid: () => '',
    };
    // i=0: j=0+4 → q05; pool q05,q02,q03,q04,q01. i=1: j=1+0 → q02. i=2: j=2+2 → q01.
    expect(pickQuestions(ids, 3, random)).toEqual(['q05', 'q02', 'q01']);
  });

  it('reaches every question over many draws (not always the same ones)', () => {
    const random = createSeededRandom('spread');
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) for (const id of pickQuestions(ids, 3, random)) seen.add(id);
    expect([...seen].sort()).toEqual(ids);
  });

  it('does not modify the input and refuses to pick more than registered', () => {
    const input = [...ids];
    pickQuestions(input, 5, createSeededRandom(1));
    expect(input).toEqual(ids);
    expect(() => pickQuestions(ids, 6, createSeededRandom(1))).toThrow(RangeError);
  });
});
