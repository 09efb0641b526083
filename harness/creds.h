/* creds: what the harness signs with: each merchant's client secret and API
 * keys (from the scenario file), and the access tokens it fetches and renews.
 *
 * The harness never replays a recorded token, nonce or signature: a request
 * is signed afresh just before it is sent. Tokens are fetched on first use
 * and renewed a minute before they expire or after a 401 TOKEN_INVALID. */
#ifndef WXAI_CREDS_H
#define WXAI_CREDS_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "scenario.h"

#define CREDS_TOKEN_MAX 512

typedef struct creds creds;

/* Credentials of every merchant of sc (borrowed: sc must outlive the creds). *out is
 * owned by the caller (creds_free). Returns 0 or -1. */
int creds_new(const scenario *sc, const char *base_url, creds **out);
/* Free c; c may be NULL. */
void creds_free(creds *c);
/* The merchant with mchid, or NULL (borrowed from the scenario). */
const scenario_merchant *creds_merchant(const creds *c, const char *mchid);
/* A valid access token for m in tok. When one must be fetched, the token request
 * runs now and is left in *fetched (caller clears it with client_exchange_clear)
 * so it can be checked and counted like any other exchange; *did_fetch says so.
 * Returns 0, or -1 when no token could be had (the exchange says why). */
int creds_token(creds *c, const scenario_merchant *m, char *tok, size_t cap, exchange *fetched,
                int *did_fetch);
/* Forget m's token (after a 401 TOKEN_INVALID). */
void creds_drop_token(creds *c, const scenario_merchant *m);
/* Add Authorization, Wechatpay-* signature headers and Content-Type to ex, signed now with
 * the key named serial (NULL or "": m's first key). Returns 0, or -1 for an unknown serial. */
int creds_sign(const scenario_merchant *m, const char *serial, const char *token, exchange *ex);
/* The key m signs responses with for serial (borrowed), or NULL. */
const scenario_key *creds_key(const scenario_merchant *m, const char *serial);

#endif
