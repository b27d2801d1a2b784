// "Did you mean …?" for a name the user typed that is not one we know: a command, an option, a client CN, a
// server name. The distance is Damerau-Levenshtein (optimal string alignment): an insertion, a deletion, a
// substitution or a swap of two neighbours costs 1, so `--jsno`, `lst` and `Cleint001` are one or two edits away.

/** The edit distance between `a` and `b`, case-insensitive (a CN typed in the wrong case is still that CN). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) rows[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[s.length][t.length];
}

/**
 * The known names closest to `typed`, when they are close enough to be what was meant: at most a third of the
 * longer name's length away (and at least one edit allowed), or the typed text is a prefix of exactly one of
 * them. Ties are all returned, in the order given; an empty list means "no suggestion". A known name equal to
 * `typed` is returned too: `-json` means `--json`.
 */
export function closest(typed: string, known: Iterable<string>): string[] {
  const candidates = [...new Set(known)];
  let best = Infinity;
  let found: string[] = [];
  for (const k of candidates) {
    const d = editDistance(typed, k);
    if (d > Math.max(1, Math.floor(Math.max(typed.length, k.length) / 3))) continue;
    if (d < best) [best, found] = [d, [k]];
    else if (d === best) found.push(k);
  }
  if (found.length) return found;
  const prefixed = typed.length >= 2 ? candidates.filter((k) => k.toLowerCase().startsWith(typed.toLowerCase())) : [];
  return prefixed.length === 1 ? prefixed : [];
}

/** ` (did you mean "x"?)`, ` (did you mean "x" or "y"?)`, or '' when nothing is close. `quote` wraps each name. */
export function didYouMean(typed: string, known: Iterable<string>, quote = (s: string) => `"${s}"`): string {
  const near = closest(typed, known).slice(0, 3).map(quote);
  return near.length ? ` (did you mean ${near.length > 1 ? `${near.slice(0, -1).join(', ')} or ${near[near.length - 1]}` : near[0]}?)` : '';
}
