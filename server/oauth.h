/* oauth: POST /v3/oauth2/token, the client-credentials grant (RFC 6749 §4.4). */
#ifndef WXAI_OAUTH_H
#define WXAI_OAUTH_H

#include "http.h"

/* Answer a token request whose form body has been read. Returns 0 or -1. */
int oauth_token(http_req *req, const cJSON *unused);

#endif
