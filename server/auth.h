/* auth: the signed-request check of CONTRACT.md, in the contract's order:
 * token, scope, signature headers, timestamp window, key serial, signature
 * (constant time), nonce replay. */
#ifndef WXAI_AUTH_H
#define WXAI_AUTH_H

#include "http.h"
#include "nonce.h"

#define AUTH_SCOPE "ai_payment_intelligence"
#define AUTH_WINDOW_S 300

/* Check req (whose body must already be read). On success returns 0 with
 * req->merchant and req->key set. On failure the error response has been
 * sent (with WWW-Authenticate where the contract asks) and -1 is returned. */
int auth_check(http_req *req, nonce_cache *nonces);

#endif
