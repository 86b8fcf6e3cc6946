// The one copy of the OAuth grant and token-type identifiers Mandate's token stage speaks
// (RFC 8693): the broker sends them, the embedded authorization server accepts them.

/** The RFC 8693 grant type. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The token type of subject, actor and issued tokens. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
