#include "token.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "sign.h"

static unsigned char mac_key[32];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

static void key_init(void)
{
    key_ok = RAND_bytes(mac_key, sizeof mac_key) == 1;
}

static int mac_of(const char *payload, size_t len, char *out)
{
    pthread_once(&key_once, key_init);
    if (!key_ok) return -1;
    const char *parts[] = {payload};
    size_t lens[] = {len};
    return sign_parts(mac_key, sizeof mac_key, parts, lens, 1, out, SIGN_B64_LEN);
}

/* Spaces inside a bearer token would end it; scopes travel with '+' instead. */
static void scopes_encode(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = in[i] == ' ' ? '+' : in[i];
    out[i] = '\0';
}

int token_issue(const token_claims *claims, char *out, size_t cap)
{
    char scope[TOKEN_MAX_FIELD], mac[SIGN_B64_LEN];
    if (strchr(claims->mchid, '.') || strchr(claims->scope, '.')) return -1;
    scopes_encode(claims->scope, scope, sizeof scope);
    int n = snprintf(out, cap, "%s.%lld.%s", claims->mchid, (long long)claims->expires_s, scope);
    if (n < 0 || (size_t)n + SIGN_B64_LEN + 1 >= cap) return -1;
    if (mac_of(out, (size_t)n, mac) != 0) return -1;
    snprintf(out + n, cap - (size_t)n, ".%s", mac);
    return 0;
}

/* A client sends the same token on every request until it expires, and the
 * MAC key lives as long as the process, so each worker thread remembers the
 * last token it verified: an HMAC and a parse saved per request. */
static _Thread_local char last_tok[TOKEN_MAX_LEN];
static _Thread_local token_claims last_claims;

int token_verify(const char *tok, token_claims *claims)
{
    char copy[TOKEN_MAX_LEN], mac[SIGN_B64_LEN];
    size_t len = strnlen(tok, sizeof copy);
    if (len == sizeof copy) return -1;
    if (len && strcmp(tok, last_tok) == 0) {
        *claims = last_claims;
        return 0;
    }
    memcpy(copy, tok, len + 1);

    char *dot_mac = strrchr(copy, '.');
    if (!dot_mac) return -1;
    *dot_mac = '\0';
    if (mac_of(copy, (size_t)(dot_mac - copy), mac) != 0 || !sign_equal(mac, dot_mac + 1))
        return -1;

    char *dot_scope = strrchr(copy, '.');
    if (!dot_scope) return -1;
    *dot_scope = '\0';
    char *dot_exp = strrchr(copy, '.');
    if (!dot_exp) return -1;
    *dot_exp = '\0';
    long long exp;
    if (sscanf(dot_exp + 1, "%lld", &exp) != 1) return -1;
    if (strlen(copy) >= sizeof claims->mchid) return -1;
    memcpy(claims->mchid, copy, strlen(copy) + 1);
    size_t i = 0;
    for (const char *p = dot_scope + 1; *p && i + 1 < sizeof claims->scope; p++)
        claims->scope[i++] = *p == '+' ? ' ' : *p;
    claims->scope[i] = '\0';
    claims->expires_s = exp;
    memcpy(last_tok, tok, len + 1);
    last_claims = *claims;
    return 0;
}

int token_scope_has(const char *scopes, const char *scope)
{
    size_t n = strlen(scope);
    for (const char *p = scopes; (p = strstr(p, scope)) != NULL; p += n)
        if ((p == scopes || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
    return 0;
}
