/** What a hosted page shows of whom: the application, falling back to its organization. */
export interface Branding {
  appName: string;
  logoUrl: string | null;
  /** `#rrggbb`, validated when stored. */
  accentColor: string;
  organizationName: string;
}

export const DEFAULT_ACCENT = '#2f5bd3';
