import { describe, expect, it } from 'vitest';
import { checkTemplate, promDuration, renderTemplate, templateValues, unknownPlaceholders } from './template.js';

const VALUES = { service: 'checkout', version: 'canary', window: '30s', listen: '127.0.0.1:8080' };

describe('renderTemplate', () => {
  it.each([
    ['rate(x{service="{{service}}",version="{{version}}"}[{{window}}])', 'rate(x{service="checkout",version="canary"}[30s])'],
    ['http://{{listen}}/health?v={{ version }}', 'http://127.0.0.1:8080/health?v=canary'],
    ['{{version}}{{version}}', 'canarycanary'],
    ['no placeholders', 'no placeholders'],
    ['{{unknown}} stays', '{{unknown}} stays'],
    ['{single} braces and {{ }} stay', '{single} braces and {{ }} stay'],
  ])('%s → %s', (text, want) => {
    expect(renderTemplate(text, VALUES)).toBe(want);
  });

  it('does not read inherited properties as variables', () => {
    expect(renderTemplate('{{constructor}}{{toString}}', VALUES)).toBe('{{constructor}}{{toString}}');
  });
});

describe('checkTemplate', () => {
  it.each<[string, string[], string | undefined]>([
    ['{{service}} {{version}} {{window}} {{listen}}', [], undefined],
    ['{{ service }}', [], undefined],
    ['{{svc}}', ['svc'], 'unknown placeholder {{svc}}; the placeholders are {{service}}, {{version}}, {{window}}, {{listen}}'],
    ['{{a}} {{b}} {{a}}', ['a', 'b'], 'unknown placeholders {{a}}, {{b}}; the placeholders are {{service}}, {{version}}, {{window}}, {{listen}}'],
    ['{{}}', [''], 'unknown placeholder {{}}; the placeholders are {{service}}, {{version}}, {{window}}, {{listen}}'],
  ])('%s', (text, unknown, message) => {
    expect(unknownPlaceholders(text)).toEqual(unknown);
    expect(checkTemplate(text)).toBe(message);
  });
});

describe('promDuration', () => {
  it.each<[number, string]>([
    [30_000, '30s'],
    [1_000, '1s'],
    [90_000, '90s'],
    [1_500, '1500ms'],
    [999.6, '1s'],
    [0, '1ms'],
    [-5, '1ms'],
  ])('%d ms → %s', (ms, text) => {
    expect(promDuration(ms)).toBe(text);
  });
});

describe('templateValues', () => {
  it('takes the window length from the query and an empty listen when unknown', () => {
    expect(templateValues({ service: 's', version: 'stable', metric: 'm', from: 10_000, to: 40_000 })).toEqual({ service: 's', version: 'stable', window: '30s', listen: '' });
    expect(templateValues({ service: 's', version: 'canary', metric: 'm', from: 0, to: 5_000, listen: '127.0.0.1:1' }).listen).toBe('127.0.0.1:1');
  });
});
