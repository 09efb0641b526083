#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "engine.h"
#include "json.h"
#include "sign.h"
#include "token.h"

#define SIGN_MESSAGE_SHOWN 512 /* bytes of the signed message echoed back on SIGN_ERROR */

static int token_error(http_req *req, const char *www, const char *message)
{
    http_add_header(req, "WWW-Authenticate", "%s", www);
    return http_error(req, 401, "TOKEN_INVALID", message, NULL), -1;
}

/* Appends n bytes of s to buf (holding *used of cap - 1 bytes), stopping
 * short at a UTF-8 boundary so the truncated message is still valid text. */
static void append_bounded(char *buf, size_t cap, size_t *used, const char *s, size_t n)
{
    size_t room = cap - 1 - *used;
    if (n > room) {
        n = room;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    memcpy(buf + *used, s, n);
    *used += n;
    buf[*used] = '\0';
}

/* SIGN_ERROR with what the server signed, so a developer can diff it
 * against the message their client built. */
static int sign_error(http_req *req, const char *message, const char *ts, const char *nonce)
{
    cJSON *detail = cJSON_CreateObject();
    cJSON *info = cJSON_AddObjectToObject(detail, "sign_information");
    const char *parts[] = {req->ri->request_method, req->url, ts ? ts : "", nonce ? nonce : "",
                           req->body ? req->body : ""};
    size_t lens[] = {strlen(parts[0]), strlen(parts[1]), strlen(parts[2]), strlen(parts[3]),
                     req->body ? req->body_len : 0};
    char msg[SIGN_MESSAGE_SHOWN + 1];
    size_t total = 0, used = 0;

    msg[0] = '\0';
    for (size_t i = 0; i < 5; i++) {
        total += lens[i] + 1;
        append_bounded(msg, sizeof msg, &used, parts[i], lens[i]);
        append_bounded(msg, sizeof msg, &used, "\n", 1);
    }
    cJSON_AddStringToObject(info, "method", parts[0]);
    cJSON_AddStringToObject(info, "url", parts[1]);
    json_add_int(info, "sign_message_length", (int64_t)total);
    cJSON_AddStringToObject(info, "sign_message", msg);
    http_error(req, 401, "SIGN_ERROR", message, detail);
    return -1;
}

/* [0-9A-Za-z] by comparison: isalnum asks the locale's table once per character, and this
 * runs on every signed request */
static int nonce_valid(const char *nonce)
{
    size_t n = 0;
    for (; nonce[n]; n++) {
        unsigned char c = (unsigned char)nonce[n], l = c | 0x20;
        if (!((c >= '0' && c <= '9') || (l >= 'a' && l <= 'z'))) return 0;
    }
    return n == 32;
}

/* Unix seconds: an optional '-' and 1 to 18 digits. (strtoll also took leading blanks and a
 * '+', and clamped what overflowed; none of those is a timestamp.) */
static int parse_int64(const char *s, int64_t *out)
{
    if (!s) return -1;
    int neg = *s == '-';
    int64_t v = 0;
    size_t n = 0;
    s += neg;
    for (; s[n] >= '0' && s[n] <= '9'; n++) {
        if (n == 18) return -1;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0 || s[n] != '\0') return -1;
    *out = neg ? -v : v;
    return 0;
}

int auth_check(http_req *req, nonce_cache *nonces)
{
    const char *authz = http_hdr(req, HTTP_HDR_AUTHORIZATION);
    token_claims claims;
    int64_t now = clock_now_s();

    if (!authz || strncasecmp(authz, "Bearer ", 7) != 0)
        return token_error(req, "Bearer realm=\"wechatpay-ai\"",
                           "missing access token: send Authorization: Bearer <access_token>");
    if (token_verify(authz + 7, &claims) != 0)
        return token_error(req, "Bearer realm=\"wechatpay-ai\", error=\"invalid_token\"",
                           "unknown access token");
    /* the token's lifetime is scenario time; the signature window below is the client's clock */
    if (claims.expires_s <= engine_wall_s(req->engine))
        return token_error(req, "Bearer realm=\"wechatpay-ai\", error=\"invalid_token\"",
                           "access token expired");
    const scenario_merchant *m = scenario_merchant_find(req->sc, claims.mchid);
    if (!m)
        return token_error(req, "Bearer realm=\"wechatpay-ai\", error=\"invalid_token\"",
                           "access token names a merchant this scenario does not know");
    req->merchant = m;
    req->key = m->nkeys ? &m->keys[0] : NULL;

    if (!token_scope_has(claims.scope, AUTH_SCOPE) || !scenario_merchant_has_scope(m, AUTH_SCOPE)) {
        http_add_header(req, "WWW-Authenticate",
                        "Bearer error=\"insufficient_scope\", scope=\"" AUTH_SCOPE "\"");
        http_error(req, 403, "NO_AUTH",
                   "the access token lacks scope " AUTH_SCOPE " (the scope needs approval)", NULL);
        return -1;
    }

    const char *ts = http_hdr(req, HTTP_HDR_WECHATPAY_TIMESTAMP);
    const char *nonce = http_hdr(req, HTTP_HDR_WECHATPAY_NONCE);
    const char *serial = http_hdr(req, HTTP_HDR_WECHATPAY_SERIAL);
    const char *sig = http_hdr(req, HTTP_HDR_WECHATPAY_SIGNATURE);
    if (!ts || !nonce || !serial || !sig)
        return sign_error(req,
                          "missing signature header: Wechatpay-Timestamp, Wechatpay-Nonce, "
                          "Wechatpay-Serial and Wechatpay-Signature are all required",
                          ts, nonce);
    int64_t ts_v;
    if (parse_int64(ts, &ts_v) != 0)
        return sign_error(req, "Wechatpay-Timestamp must be unix seconds", ts, nonce);
    if (ts_v - now >= AUTH_WINDOW_S || now - ts_v >= AUTH_WINDOW_S)
        return sign_error(req, "Wechatpay-Timestamp is 300 s or more away from the server clock",
                          ts, nonce);
    if (!nonce_valid(nonce))
        return sign_error(req, "Wechatpay-Nonce must be 32 characters of [0-9A-Za-z]", ts, nonce);
    const scenario_key *key = scenario_key_find(m, serial);
    if (!key) return sign_error(req, "unknown Wechatpay-Serial for this merchant", ts, nonce);
    if (req->engine && engine_key_retired(req->engine, key))
        return sign_error(req,
                          "this Wechatpay-Serial was retired (key rotation): sign with the new key",
                          ts, nonce);
    req->key = key;

    nonce_slot slot; /* its table row loads while the signature is computed */
    nonce_cache_locate(nonces, m->mchid, nonce, &slot);
    char expected[SIGN_B64_LEN];
    if (sign_request(key->secret, key->secret_len, req->ri->request_method, req->url, ts, nonce,
                     req->body, req->body_len, expected, sizeof expected) != 0) {
        http_error(req, 500, "SYSTEM_ERROR", "could not compute the signature", NULL);
        return -1;
    }
    if (!sign_equal(expected, sig))
        return sign_error(req, "signature does not match the request", ts, nonce);
    /* The nonce is recorded only once the signature is good, so a forged
     * request cannot burn a legitimate client's nonce. */
    if (nonce_cache_check_slot(nonces, &slot, now) == NONCE_REPLAY)
        return sign_error(req, "Wechatpay-Nonce was already used in the last 300 s", ts, nonce);
    return 0;
}
