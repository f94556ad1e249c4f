/** What a hosted page shows of whom: the application, falling back to its organization. */
export interface Branding {
  appName: string;
  logoUrl: string | null;
  /** `#rrggbb`, validated when stored. */
  accentColor: string;
  /**
   * The organization's display name, or null: the footer then names no one (the organization's
   * `name` is an internal slug such as `default`, never shown).
   */
  organizationDisplayName: string | null;
}

export const DEFAULT_ACCENT = '#2f5bd3';
