/* token: OAuth access tokens that carry their own claims.
 *
 * A token is "<mchid>.<expiry>.<scope>.<mac>" where mac is an HMAC under a
 * key drawn at process start. Verifying needs no table, so issuing tokens
 * never grows memory, and tokens die with the process as a real server's
 * would on key rotation. */
#ifndef WXAI_TOKEN_H
#define WXAI_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_MAX_LEN 256
#define TOKEN_MAX_FIELD 128

typedef struct token_claims {
    char mchid[TOKEN_MAX_FIELD];
    char scope[TOKEN_MAX_FIELD]; /* space-separated scopes granted */
    int64_t expires_s;           /* unix seconds */
} token_claims;

/* Issue a token for the claims into out (>= TOKEN_MAX_LEN). Returns 0 or -1. */
int token_issue(const token_claims *claims, char *out, size_t cap);
/* Verify tok's MAC and fill *claims (expiry is not checked here). Returns 0 or -1. */
int token_verify(const char *tok, token_claims *claims);
/* 1 if the space-separated scope list contains scope. */
int token_scope_has(const char *scopes, const char *scope);

#endif
