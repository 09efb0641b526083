#include "oauth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "base64.h"
#include "engine.h"
#include "json.h"
#include "sign.h"
#include "token.h"

#define FORM_VALUE_MAX 256

static int oauth_error(http_req *req, int status, const char *error, const char *description)
{
    if (status == 401) http_add_header(req, "WWW-Authenticate", "Basic realm=\"wechatpay-ai\"");
    http_error(req, status, error, description, NULL);
    return -1;
}

/* Basic credentials "mchid:secret" into the two buffers. */
static int basic_credentials(const char *authz, char *user, size_t ucap, char *pass, size_t pcap)
{
    unsigned char raw[512];
    size_t n;
    if (!authz || strncasecmp(authz, "Basic ", 6) != 0) return -1;
    const char *b64 = authz + 6;
    size_t len = strlen(b64);
    if (len > 600 || base64_decode(b64, len, raw, sizeof raw - 1, &n) != 0) return -1;
    raw[n] = '\0';
    if (memchr(raw, '\0', n)) return -1;
    char *colon = strchr((char *)raw, ':');
    if (!colon || (size_t)(colon - (char *)raw) >= ucap || strlen(colon + 1) >= pcap) return -1;
    size_t ulen = (size_t)(colon - (char *)raw);
    memcpy(user, raw, ulen);
    user[ulen] = '\0';
    memcpy(pass, colon + 1, strlen(colon + 1) + 1);
    return 0;
}

/* mg_get_var decodes application/x-www-form-urlencoded; -1 absent, -2 too long. */
static int form_value(const http_req *req, const char *name, char *out, size_t cap)
{
    if (!req->body) return -1;
    int n = mg_get_var(req->body, req->body_len, name, out, cap);
    return n >= 0 ? 0 : n;
}

/* Compares secrets in time independent of where they differ: both are
 * MAC'd to fixed-length digests first, then compared in constant time. */
static int secrets_equal(const char *a, const char *b)
{
    static const char k[] = "wxai-secret-compare";
    char da[SIGN_B64_LEN], db[SIGN_B64_LEN];
    size_t la = strlen(a), lb = strlen(b);
    if (sign_parts(k, sizeof k - 1, &a, &la, 1, da, sizeof da) != 0 ||
        sign_parts(k, sizeof k - 1, &b, &lb, 1, db, sizeof db) != 0)
        return 0;
    return sign_equal(da, db);
}

/* Every requested scope must be approved; none requested means all approved. */
static int grant_scopes(http_req *req, const scenario_merchant *m, const char *requested,
                        char *granted, size_t cap)
{
    char msg[256], one[64];
    size_t used = 0;
    granted[0] = '\0';
    if (!requested || !*requested) {
        if (m->nscopes == 0)
            return oauth_error(req, 400, "invalid_scope",
                               "no scope is approved for this merchant yet: " AUTH_SCOPE
                               " needs approval");
        for (size_t i = 0; i < m->nscopes; i++)
            used +=
                (size_t)snprintf(granted + used, cap - used, "%s%s", i ? " " : "", m->scopes[i]);
        return used < cap ? 0 : oauth_error(req, 400, "invalid_scope", "too many scopes");
    }
    for (const char *p = requested; *p;) {
        size_t n = strcspn(p, " ");
        if (n == 0) {
            p++;
            continue;
        }
        if (n >= sizeof one) return oauth_error(req, 400, "invalid_scope", "scope name too long");
        memcpy(one, p, n);
        one[n] = '\0';
        p += n;
        if (!scenario_merchant_has_scope(m, one)) {
            if (strcmp(one, AUTH_SCOPE) == 0)
                snprintf(msg, sizeof msg,
                         "scope %s needs approval: apply to WeChat developer relations "
                         "(review takes about two weeks)",
                         one);
            else
                snprintf(msg, sizeof msg, "scope %s is not granted to this merchant", one);
            return oauth_error(req, 400, "invalid_scope", msg);
        }
        if (!token_scope_has(granted, one)) {
            int w = snprintf(granted + used, cap - used, "%s%s", used ? " " : "", one);
            if (w < 0 || (size_t)w >= cap - used)
                return oauth_error(req, 400, "invalid_scope", "too many scopes");
            used += (size_t)w;
        }
    }
    return 0;
}

/* The token lives token_ttl_s of scenario time; a client counts expires_in on its own clock,
 * so it is told real seconds, rounded down so a cached token is never used past its end. */
static int64_t expires_in_real_s(const http_req *req)
{
    int64_t ttl = req->sc->defaults.token_ttl_s;
    if (!req->engine) return ttl;
    int64_t s = (int64_t)(engine_real_ms(req->engine, (double)ttl * 1000.0) / 1000.0);
    return s < 1 ? 1 : s;
}

int oauth_token(http_req *req, const cJSON *unused)
{
    char user[128], pass[256], grant[64], scope[FORM_VALUE_MAX], tok[TOKEN_MAX_LEN];
    token_claims claims;
    (void)unused;

    http_add_header(req, "Cache-Control", "no-store");
    if (basic_credentials(http_header(req, "Authorization"), user, sizeof user, pass,
                          sizeof pass) != 0)
        return oauth_error(req, 401, "invalid_client",
                           "send Authorization: Basic base64(mchid:client_secret)");
    const scenario_merchant *m = scenario_merchant_find(req->sc, user);
    if (!m || !secrets_equal(m->client_secret, pass))
        return oauth_error(req, 401, "invalid_client", "unknown merchant or wrong client secret");
    req->merchant = m;
    req->key = m->nkeys ? &m->keys[0] : NULL;

    const char *ctype = http_header(req, "Content-Type");
    if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)
        return oauth_error(req, 400, "invalid_request",
                           "the body must be application/x-www-form-urlencoded");
    if (form_value(req, "grant_type", grant, sizeof grant) != 0)
        return oauth_error(req, 400, "invalid_request", "grant_type is required");
    if (strcmp(grant, "client_credentials") != 0)
        return oauth_error(req, 400, "unsupported_grant_type",
                           "only grant_type=client_credentials is supported");
    int sr = form_value(req, "scope", scope, sizeof scope);
    if (sr == -2) return oauth_error(req, 400, "invalid_request", "scope is too long");
    if (grant_scopes(req, m, sr == 0 ? scope : NULL, claims.scope, sizeof claims.scope) != 0)
        return -1;

    snprintf(claims.mchid, sizeof claims.mchid, "%s", m->mchid);
    claims.expires_s = engine_wall_s(req->engine) + req->sc->defaults.token_ttl_s;
    if (token_issue(&claims, tok, sizeof tok) != 0)
        return oauth_error(req, 500, "server_error", "could not issue a token");

    cJSON *root = cJSON_CreateObject();
    if (!root) return oauth_error(req, 500, "server_error", "out of memory");
    cJSON_AddStringToObject(root, "access_token", tok);
    cJSON_AddStringToObject(root, "token_type", "Bearer");
    json_add_int(root, "expires_in", expires_in_real_s(req));
    cJSON_AddStringToObject(root, "scope", claims.scope);
    int rc = http_send_json(req, 200, root);
    cJSON_Delete(root);
    return rc;
}
