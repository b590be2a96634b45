import { h, type Child } from './dom.js';
import { conditionsText, percent, ruleText, splitShares, valueText } from '../../src/flags/words.js';
import type { FlagDefinition, Segment } from './types.js';

/**
 * A flag's definition read as an evaluation goes: off → the off variant;
 * on → the first matching rule, else the split (or the default variant).
 * Rebuilt whole on each change: it holds no focusable state.
 */

/** What the flag serves to users no rule matches, with the split drawn as a bar. */
export function servingPanel(def: FlagDefinition): HTMLElement {
  const body: Child[] = [];
  const shares = splitShares(def.split, def.defaultVariant);
  const whom = def.rules.length ? `After ${def.rules.length} targeting rule${def.rules.length === 1 ? '' : 's'}, everyone else` : 'Everyone';
  const serving = (lead: string) =>
    shares.length === 1
      ? h('p', { class: 'serving-text' }, `${lead} gets `, h('strong', null, shares[0]!.variant), '.')
      : h('p', { class: 'serving-text' }, `${lead}: `, shares.map((s, i) => [i ? ' · ' : '', h('strong', null, s.variant), ` ${percent(s.percent)}`, s.rest ? ' (default, the rest)' : '']));
  if (!def.enabled) {
    body.push(h('p', { class: 'serving-text' }, 'Off: everyone gets ', h('strong', null, def.offVariant), '. Rules and split are kept, not applied.'), serving(`When turned on: ${whom.charAt(0).toLowerCase()}${whom.slice(1)}`));
  } else {
    body.push(serving(whom));
    // Colours follow the variant, not its place in the split, so "on" looks the same at 10% and at 100%.
    const order = Object.keys(def.variants);
    if (shares.length > 1) body.push(shareBar(shares.map((s) => ({ label: s.variant, percent: s.percent, colour: order.indexOf(s.variant) }))));
  }
  if (shares.length > 1 || def.rules.some((r) => r.split)) {
    body.push(h('p', { class: 'help' }, 'Users are placed by a hash of ', h('code', null, def.bucketBy), ' (salt ', h('code', null, def.salt), '): raising a percentage only adds users.'));
  }
  return h('section', { class: 'panel', 'aria-labelledby': 'serving-heading' }, h('h3', { id: 'serving-heading' }, 'Serving'), h('div', { id: 'flag-serving' }, body));
}

function shareBar(shares: Array<{ label: string; percent: number; colour: number }>): HTMLElement {
  const bar = h('div', { class: 'share-bar', role: 'img', 'aria-label': shares.map((s) => `${s.label} ${percent(s.percent)}`).join(', ') });
  for (const s of shares) {
    const part = h('span', { class: `share share-${Math.max(s.colour, 0) % 4}`, title: `${s.label} ${percent(s.percent)}` });
    part.style.setProperty('width', `${s.percent}%`);
    bar.append(part);
  }
  return bar;
}

/** Each variant with its value and its role (default, off, share of the split). */
export function variantsTable(def: FlagDefinition): HTMLElement {
  const split = def.split ?? {};
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'variants-heading' },
    h('h3', { id: 'variants-heading' }, 'Variants'),
    h(
      'table',
      { class: 'data variants' },
      h('thead', null, h('tr', null, ['Variant', 'Value', 'Role'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        null,
        Object.entries(def.variants).map(([name, value]) => {
          const roles = [name === def.defaultVariant ? 'default' : '', name === def.offVariant ? 'off' : '', split[name] !== undefined ? `split ${percent(split[name]!)}` : ''].filter(Boolean);
          return h('tr', { 'data-variant': name }, h('th', { scope: 'row' }, name), h('td', null, h('code', null, valueText(value))), h('td', null, roles.join(', ') || '–'));
        }),
      ),
    ),
  );
}

/** The targeting rules in order (the first that matches decides), then the segments they name. */
export function rulesPanel(def: FlagDefinition, segments: Record<string, Segment> | undefined): HTMLElement {
  const used = [...new Set(def.rules.flatMap((r) => r.conditions.flatMap((c) => ('segment' in c && typeof c.segment === 'string' ? [c.segment] : []))))];
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'rules-heading' },
    h('h3', { id: 'rules-heading' }, 'Targeting rules'),
    def.rules.length
      ? h(
          'ol',
          { class: 'rules', id: 'flag-rules' },
          def.rules.map((r) => h('li', { 'data-rule': r.name }, h('span', { class: 'rule-name' }, r.name), ' ', h('span', { class: 'rule-text' }, ruleText(r, def.defaultVariant)))),
        )
      : h('p', { class: 'empty' }, 'No rules: every user gets what "Serving" says.'),
    def.rules.length && !def.enabled ? h('p', { class: 'help' }, 'The flag is off: these rules apply once it is turned on.') : null,
    used.length
      ? h(
          'dl',
          { class: 'facts segments' },
          used.map((name) => [
            h('dt', null, `segment ${name}`),
            h('dd', { 'data-segment': name }, segments?.[name] ? conditionsText(segments[name]!.conditions) : segments ? 'not defined in its flag set' : 'loading…'),
          ]),
        )
      : null,
  );
}
