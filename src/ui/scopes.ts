/** Requested scopes in plain words for the consent page (SPEC §7). */
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'See your name',
  email: 'See your email address',
  phone: 'See your phone number',
  address: 'See your postal address',
  offline_access: 'Keep this access while you are not using the application',
};

/** One line per scope; unknown scopes are shown by name so nothing is hidden from the user. */
export function describeScopes(scope: string): string[] {
  const scopes = scope.split(' ').filter(Boolean);
  if (scopes.length === 0) return ['Know that you signed in'];
  return scopes.map((s) => DESCRIPTIONS[s] ?? `Use the "${s}" permission`);
}
