#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "clock.h"
#include "fmt.h"
#include "ident.h"
#include "json.h"
#include "sign.h"

#define RENEW_BEFORE_MS 60000

typedef struct token_slot {
    char token[CREDS_TOKEN_MAX];
    int64_t expires_mono_ms; /* 0: none */
} token_slot;

struct creds {
    const scenario *sc;
    char base[256];
    token_slot slots[SCENARIO_MAX_MERCHANTS];
};

int creds_new(const scenario *sc, const char *base_url, creds **out)
{
    *out = NULL;
    creds *c = calloc(1, sizeof *c);
    if (!c) return -1;
    c->sc = sc;
    fmt_copy(c->base, sizeof c->base, base_url);
    *out = c;
    return 0;
}

void creds_free(creds *c)
{
    free(c);
}

const scenario_merchant *creds_merchant(const creds *c, const char *mchid)
{
    return mchid && mchid[0] ? scenario_merchant_find(c->sc, mchid) : NULL;
}

static token_slot *slot_of(creds *c, const scenario_merchant *m)
{
    size_t i = (size_t)(m - c->sc->merchants);
    return i < SCENARIO_MAX_MERCHANTS ? &c->slots[i] : NULL;
}

void creds_drop_token(creds *c, const scenario_merchant *m)
{
    token_slot *s = slot_of(c, m);
    if (s) s->expires_mono_ms = 0;
}

int creds_token(creds *c, const scenario_merchant *m, char *tok, size_t cap, exchange *ex,
                int *did_fetch)
{
    token_slot *s = slot_of(c, m);
    char basic[512], b64[700];
    static const char form[] = "grant_type=client_credentials&scope=ai_payment_intelligence";
    *did_fetch = 0;
    if (!s) return -1;
    int64_t now = clock_mono_ms();
    if (s->expires_mono_ms > now + RENEW_BEFORE_MS) {
        fmt_copy(tok, cap, s->token);
        return 0;
    }
    *did_fetch = 1;
    int n = snprintf(basic, sizeof basic, "%s:%s", m->mchid, m->client_secret);
    if (n < 0 || (size_t)n >= sizeof basic ||
        base64_encode(basic, (size_t)n, b64, sizeof b64) != 0 ||
        client_exchange_init(ex, c->base, "POST", "/v3/oauth2/token", form, sizeof form - 1) != 0) {
        fmt_copy(ex->error, sizeof ex->error, "cannot build the token request");
        return -1;
    }
    client_add_header(ex, "Authorization", "Basic %s", b64);
    client_add_header(ex, "Content-Type", "application/x-www-form-urlencoded");
    if (client_perform(ex) != 0) return -1;
    const char *t = json_string(ex->json, "access_token");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(ex->json, "expires_in");
    if (ex->status != 200 || !t || strlen(t) >= sizeof s->token) return -1;
    fmt_copy(s->token, sizeof s->token, t);
    int64_t ttl_s = cJSON_IsNumber(exp) && exp->valuedouble > 0 ? (int64_t)exp->valuedouble : 60;
    /* A token shorter-lived than the renewal margin is used once per fetch. */
    s->expires_mono_ms = now + ttl_s * 1000;
    fmt_copy(tok, cap, s->token);
    return 0;
}

const scenario_key *creds_key(const scenario_merchant *m, const char *serial)
{
    if (!m || m->nkeys == 0) return NULL;
    if (!serial || !serial[0]) return &m->keys[0];
    return scenario_key_find(m, serial);
}

int creds_sign(const scenario_merchant *m, const char *serial, const char *token, exchange *ex)
{
    const scenario_key *k = creds_key(m, serial);
    char ts[FMT_I64_MAX], nonce[IDENT_NONCE_LEN], sig[SIGN_B64_LEN];
    if (!k) return -1;
    fmt_i64(ts, clock_now_s());
    if (ident_nonce(nonce, sizeof nonce) != 0 ||
        sign_request(k->secret, k->secret_len, ex->method, ex->path, ts, nonce, ex->body,
                     ex->body_len, sig, sizeof sig) != 0)
        return -1;
    if (token) client_add_header_str(ex, "Authorization", "Bearer ", token);
    client_add_header_str(ex, "Wechatpay-Timestamp", ts, NULL);
    client_add_header_str(ex, "Wechatpay-Nonce", nonce, NULL);
    client_add_header_str(ex, "Wechatpay-Serial", k->serial, NULL);
    client_add_header_str(ex, "Wechatpay-Signature", sig, NULL);
    if (ex->body)
        client_add_header_str(ex, "Content-Type", "application/json; charset=utf-8", NULL);
    return 0;
}
