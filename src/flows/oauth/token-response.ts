/** RFC 6749 §5.1 successful token response, with SPEC §6.4's `refresh_token_expires_in`. */
export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: `DPoP` when the access token is bound to a key (`cnf.jkt`). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  refresh_token?: string;
  refresh_token_expires_in?: number;
  scope?: string;
  id_token?: string;
}
