#include "sched.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "clock.h"
#include "fmt.h"
#include "json.h"
#include "money.h"
#include "rng.h"
#include "traffic.h"
#include "wire.h"

#define PROVIDER_WECHAT "wechatpay-ai"
#define MAX_BAD_LINES_PRINTED 20

typedef struct flow {
    /* the state of one record's flow: zeroed (flow_reset) when a record takes the slot */
    int active;
    const scenario_merchant *m;
    char endpoint[48]; /* of the exchange in flight */
    int attempt;       /* retries of the current request */
    int rounds;        /* clarification answers sent */
    int64_t due_us;    /* a retry waits until then; 0 otherwise */
    int in_flight;
    int on_wire;    /* the exchange in flight went out on wc */
    int wire_ended; /* ... and failed before flow_send returned: finish it in the loop */
    int curl_resent; /* the libcurl transfer in flight went out again (see take_done) */
    long primary_status;
    char outcome[20]; /* ready, fallback, pending_review, clarify, llm, cached, error, ... */
    char intent[24];
    int64_t amount;
    char currency[4];
    char problem[300];
    int64_t cost_micros; /* what the flow has cost so far, for the cache */
    int exchanges;
    /* kept from one record to the next: the record moved in, the exchange (its easy handle
     * is reused by every record of the slot) */
    traffic_record rec;
    exchange ex;
    wire_conn wc; /* the slot's keep-alive connection; wc.easy NULL when not on the wire */
} flow;

/* Fresh flow state; rec and ex are not touched. */
static void flow_reset(flow *f)
{
    memset(f, 0, offsetof(flow, rec));
}

typedef struct sched {
    const sched_opts *o;
    const policy_opts *po;
    const scenario *sc;
    creds *cr;
    stats *st;
    check_results *checks;
    sched_result *res;
    policy_cache *cache;
    CURLM *multi;
    /* the sockets libcurl asks to have watched (its multi_socket API): only transfers whose
     * socket is ready run, where curl_multi_perform visits every handle and polls each
     * one's socket on every call */
    struct pollfd *pfd, *ready;
    int npfd, cappfd;
    /* wire connections are polled after libcurl's entries in pfd, each with its flow */
    flow **wown, **wready;
    short *wrev;
    int64_t curl_due_us; /* when libcurl wants its timers run; -1: no timer */
    int finished;        /* transfers finished since the loop last looked for work */
    flow *flows;
    int nflows;
    int active;
    traffic *t;
    traffic_record pending;
    exchange tex; /* a token request made on the way (blank unless one is) */
    int have_pending, stop_reading;
    int64_t first_at_ms;
    uint64_t started;
    uint64_t bad_printed;
} sched;

/* Appends the string s at key[n]; returns the new length. */
static size_t put(char *key, size_t n, const char *s)
{
    size_t l = strlen(s);
    memcpy(key + n, s, l);
    return n + l;
}

static void input_error(sched *s, const char *msg)
{
    s->st->bad_lines++;
    if (s->bad_printed++ < MAX_BAD_LINES_PRINTED) fprintf(stderr, "%s\n", msg);
    if (s->res->ninput_errors < SCHED_INPUT_ERRORS)
        fmt_copy(s->res->input_errors[s->res->ninput_errors++], sizeof s->res->input_errors[0],
                 msg);
    if (s->o->strict) {
        s->res->input_failed = 1;
        s->stop_reading = 1;
    }
}

static int is_order(const char *ep)
{
    return strcmp(ep, "order_routing") == 0 || strcmp(ep, "order_routing_clarification") == 0;
}

static const char *provider_of(const sched *s, const char *path)
{
    return strncmp(path, "/v1/", 4) == 0 ? s->po->fallback_model : PROVIDER_WECHAT;
}

static int64_t num(const cJSON *o, const char *k)
{
    const cJSON *v = json_obj(o, k);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* Tokens and money of one answered exchange, from its `usage` and `cost`. */
static void count_cost(sched *s, flow *f, const char *ep, const exchange *ex)
{
    const cJSON *b = ex->json;
    if (ex->status < 200 || ex->status >= 300 || !b) return;
    const cJSON *u = json_obj(b, "usage");
    const cJSON *cost = json_obj(b, "cost");
    int64_t in = 0, out = 0, micros = 0;
    if (strncmp(ex->path, "/v1/", 4) == 0) {
        in = num(u, "prompt_tokens");
        out = num(u, "completion_tokens");
        /* OpenAI responses carry no price: take the scenario's price of the model, or
         * the run's flat price when the scenario does not know it. */
        const chat_model *cm =
            s->sc->llm ? chat_model_find(s->sc->llm, json_string(b, "model")) : NULL;
        if (cm ? chat_cost_micros(s->sc->llm, cm, in, out, &micros) != 0
               : money_token_cost(in + out, s->po->fallback_per_1k_micros, 1, &micros) != 0)
            micros = 0;
    } else {
        in = num(u, "input_tokens");
        out = num(u, "output_tokens");
        micros = num(cost, "amount_micros");
    }
    stats_cost(s->st, ep, provider_of(s, ex->path), in, out, micros);
    if (f) f->cost_micros += micros;
}

static void run_exchange_checks(sched *s, flow *f, const char *ep, const exchange *ex)
{
    check_ctx c = {.rec = f ? &f->rec : NULL,
                   .sc = s->sc,
                   .merchant = f ? f->m : NULL,
                   .endpoint = ep,
                   .ex = ex};
    check_all(s->checks, CHECK_ON_EXCHANGE, &c);
}

/* A token request made on the way counts as an exchange of its own. */
static void account_token_exchange(sched *s, flow *f, exchange *tok)
{
    if (!tok->intended_us) return;
    stats_exchange(s->st, "token", PROVIDER_WECHAT, tok);
    run_exchange_checks(s, f, "token", tok);
    if (client_unreachable(tok)) s->res->unreachable_exchanges++;
}

static void flow_finish(sched *s, flow *f);

/* Send a request for f now (intended at intended_us). body is consumed. Returns 0, or -1 when
 * the flow ended instead (no token, bad serial). */
static int flow_send(sched *s, flow *f, const char *ep, const char *method, const char *path,
                     char *body, size_t len, int64_t intended_us)
{
    exchange *ex = &f->ex;
    if (client_exchange_init_take(ex, s->o->base_url, method, path, body, len) != 0) {
        fmt_copy(f->outcome, sizeof f->outcome, "error");
        stats_error(s->st, "cannot build the request (path too long?)");
        return -1;
    }
    fmt_copy(f->endpoint, sizeof f->endpoint, ep);
    if (strncmp(path, "/v3/", 4) == 0 && strcmp(path, "/v3/oauth2/token") != 0) {
        char tok[CREDS_TOKEN_MAX];
        exchange *tex = &s->tex;
        int fetched = 0;
        /* cleared with tex after each fetch */
        tex->timeout_ms = s->o->request_timeout_ms;
        tex->cainfo = s->o->cacert;
        int tr = creds_token(s->cr, f->m, tok, sizeof tok, tex, &fetched);
        if (fetched) account_token_exchange(s, f, tex);
        if (tr != 0) {
            /* No token: the record's answer is the token endpoint's refusal. */
            if (f->primary_status == 0) f->primary_status = tex->status;
            fmt_copy(f->outcome, sizeof f->outcome, "no_token");
            client_exchange_clear(tex);
            return -1;
        }
        /* creds_token writes to tex only when it fetches; its handle is not kept */
        if (fetched) client_exchange_clear(tex);
        if (creds_sign(f->m, f->rec.serial, tok, ex) != 0) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s:%ld: key serial '%s' is not one of merchant %s's keys",
                     s->o->traffic_path, f->rec.line, f->rec.serial, f->m->mchid);
            input_error(s, msg);
            fmt_copy(f->outcome, sizeof f->outcome, "input_error");
            return -1;
        }
    } else if (strncmp(path, "/v1/", 4) == 0) {
        client_add_header_str(ex, "Authorization", "Bearer ", s->po->fallback_key);
        if (ex->body) client_add_header_str(ex, "Content-Type", "application/json", NULL);
    } else if (ex->body) {
        client_add_header_str(ex, "Content-Type", "application/json; charset=utf-8", NULL);
    }
    ex->intended_us = intended_us;
    ex->sent_us = clock_mono_us();
    if (f->wc.easy) {
        int r = wire_conn_start(&f->wc, ex);
        if (r != -2) {
            f->in_flight = f->on_wire = 1;
            f->exchanges++;
            /* flow_done may be what called this: the failure is taken in the loop */
            if (r == WIRE_FAIL) f->wire_ended = s->finished = 1;
            return 0;
        }
    }
    if (client_prepare(ex) != 0) {
        fmt_copy(f->outcome, sizeof f->outcome, "error");
        return -1;
    }
    curl_multi_add_handle(s->multi, ex->easy);
    f->in_flight = 1;
    f->exchanges++;
    return 0;
}

/* Send the exchange's request again (a retry or after a token renewal), signed afresh. */
static int flow_resend(sched *s, flow *f, int64_t intended_us)
{
    char *body = NULL;
    if (f->ex.body) {
        body = malloc(f->ex.body_len + 1);
        if (!body) return -1;
        memcpy(body, f->ex.body, f->ex.body_len + 1);
    }
    char ep[48], method[8], path[TRAFFIC_PATH_MAX];
    fmt_copy(ep, sizeof ep, f->endpoint);
    fmt_copy(method, sizeof method, f->ex.method);
    fmt_copy(path, sizeof path, f->ex.path);
    return flow_send(s, f, ep, method, path, body, f->ex.body_len, intended_us);
}

static void note_answer(sched *s, flow *f, const char *ep, const exchange *ex)
{
    const cJSON *b = ex->json;
    /* The record's own request sets its status; a record sent straight to the fallback
     * (unsupported language) takes the fallback's. */
    if (strcmp(ep, f->rec.endpoint) == 0 || f->primary_status == 0) f->primary_status = ex->status;
    if (ex->status == 0 || ex->status >= 400) {
        if (!is_order(ep) || strcmp(f->outcome, "fallback") != 0)
            fmt_copy(f->outcome, sizeof f->outcome, "error");
        if (strcmp(ep, "chat_completions") == 0) s->st->fallback_failures++;
        return;
    }
    if (is_order(ep) && ex->status == 202) {
        fmt_copy(f->outcome, sizeof f->outcome, "clarify");
        const cJSON *c = json_obj(b, "confidence");
        (void)c;
        return;
    }
    if (is_order(ep) && ex->status == 200) {
        const char *st = json_string(b, "status");
        const cJSON *intent = json_obj(b, "intent");
        const cJSON *amount = json_obj(intent, "amount");
        fmt_copy(f->outcome, sizeof f->outcome, st ? st : "unknown");
        fmt_copy(f->intent, sizeof f->intent,
                 json_string(intent, "type") ? json_string(intent, "type") : "");
        f->amount = num(amount, "total");
        fmt_copy(f->currency, sizeof f->currency,
                 json_string(amount, "currency") ? json_string(amount, "currency") : "");
        const cJSON *conf = json_obj(b, "confidence");
        const cJSON *th = json_obj(b, "threshold");
        /* the model's own parse against truth, before any fallback re-parses it: what a
         * threshold decides to trust or not (compare's precision and recall) */
        if (cJSON_IsNumber(conf))
            stats_confidence_scored(
                s->st, json_string(json_obj(b, "model"), "version"), conf->valuedouble,
                cJSON_IsNumber(th) ? th->valuedouble : -1,
                stats_truth_match(f->rec.truth, f->intent, f->amount, f->currency));
        return;
    }
    if (strcmp(ep, "chat_completions") == 0 && ex->status == 200) {
        /* The fallback answers with the intent object as JSON text. */
        const cJSON *ch = cJSON_GetArrayItem(json_obj(b, "choices"), 0);
        const char *content = json_string(json_obj(ch, "message"), "content");
        cJSON *intent = content ? cJSON_Parse(content) : NULL;
        const cJSON *amount = json_obj(intent, "amount");
        if (json_string(intent, "type")) {
            fmt_copy(f->intent, sizeof f->intent, json_string(intent, "type"));
            f->amount = num(amount, "total");
            fmt_copy(f->currency, sizeof f->currency,
                     json_string(amount, "currency") ? json_string(amount, "currency") : "");
        }
        fmt_copy(f->outcome, sizeof f->outcome, "llm");
        s->st->out_llm++;
        cJSON *holder = NULL;
        const char *text = policy_text(&f->rec, &holder);
        policy_cache_note(s->cache, text, f->cost_micros, f->intent);
        cJSON_Delete(holder);
        cJSON_Delete(intent);
        return;
    }
    fmt_copy(f->outcome, sizeof f->outcome, "ok");
}

/* One transfer of f finished: count it, check it, and let the policy say what is next.
 * A wire exchange is complete already (wire.c read its answer); a libcurl one ended with
 * code. */
static void flow_done(sched *s, flow *f, CURLcode code)
{
    exchange *ex = &f->ex;
    char ep[48];
    fmt_copy(ep, sizeof ep, f->endpoint);
    f->in_flight = 0;
    if (f->on_wire)
        f->on_wire = 0;
    else
        client_finish(ex, code);
    if (client_unreachable(ex)) s->res->unreachable_exchanges++;
    stats_exchange(s->st, ep, provider_of(s, ex->path), ex);
    count_cost(s, f, ep, ex);
    run_exchange_checks(s, f, ep, ex);
    int was_fallback = strcmp(f->outcome, "fallback") == 0;
    note_answer(s, f, ep, ex);
    if (was_fallback && strcmp(f->outcome, "error") == 0)
        fmt_copy(f->outcome, sizeof f->outcome, "fallback");

    policy_action act;
    policy_next(s->po, &f->rec, ep, ex, f->attempt, f->rounds, &act);
    if (act.problem[0] && !f->problem[0]) fmt_copy(f->problem, sizeof f->problem, act.problem);
    int64_t now = clock_mono_us();
    switch (act.step) {
    case POLICY_RETRY:
        s->st->retries++;
        f->attempt++;
        f->due_us = now + act.delay_ms * 1000;
        return;
    case POLICY_RENEW:
        creds_drop_token(s->cr, f->m);
        f->attempt++;
        if (flow_resend(s, f, now) == 0) return;
        break;
    case POLICY_ANSWER:
        if (f->rounds++ == 0) s->st->clarified++;
        f->attempt = 0;
        if (flow_send(s, f, "order_routing_clarification", "POST", act.path, act.body,
                      strlen(act.body), now) == 0)
            return;
        break;
    case POLICY_FALLBACK:
        s->st->fallback_calls++;
        f->attempt = 0;
        if (flow_send(s, f, "chat_completions", "POST", act.path, act.body, strlen(act.body),
                      now) == 0)
            return;
        break;
    case POLICY_DONE:
        free(act.body);
        break;
    }
    flow_finish(s, f);
}

static void dump_record(sched *s, flow *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", f->rec.id);
    cJSON_AddNumberToObject(o, "status", (double)f->primary_status);
    cJSON_AddStringToObject(o, "outcome", f->outcome);
    cJSON_AddStringToObject(o, "intent", f->intent);
    json_add_int(o, "amount_total", f->amount);
    char *line = json_print(o);
    if (line) fprintf(s->o->dump, "%s\n", line);
    free(line);
    cJSON_Delete(o);
}

static void flow_finish(sched *s, flow *f)
{
    stats *st = s->st;
    if (is_order(f->rec.endpoint)) {
        const char *o = f->outcome;
        if (strcmp(o, "ready") == 0)
            st->out_ready++;
        else if (strcmp(o, "fallback") == 0 || strcmp(o, "llm") == 0)
            st->out_form++;
        else if (strcmp(o, "pending_review") == 0)
            st->out_review++;
        else if (strcmp(o, "clarify") == 0)
            st->out_unanswered++;
        else if (strcmp(o, "cached") == 0)
            ;
        else if (strcmp(o, "error") == 0 || strcmp(o, "no_token") == 0)
            st->out_error++;
        else
            st->out_other++;
    }
    check_ctx c = {.rec = &f->rec,
                   .sc = s->sc,
                   .merchant = f->m,
                   .endpoint = f->rec.endpoint,
                   .ex = f->exchanges ? &f->ex : NULL,
                   .primary_status = f->primary_status,
                   .final_intent = f->intent[0] ? f->intent : NULL,
                   .clar_problem = f->problem[0] ? f->problem : NULL,
                   .clar_rounds = f->rounds};
    check_all(s->checks, CHECK_ON_FLOW, &c);
    const cJSON *truth = f->rec.truth;
    if (truth) {
        const char *ti = json_string(truth, "intent"), *tc = json_string(truth, "currency");
        const cJSON *ta = json_obj(truth, "amount_total");
        int ok_i = ti && strcmp(ti, f->intent) == 0;
        int ok_a = !cJSON_IsNumber(ta) || (f->intent[0] && (int64_t)ta->valuedouble == f->amount);
        int ok_c = !tc || strcmp(tc, f->currency) == 0;
        st->truth_n++;
        st->truth_intent_ok += (uint64_t)ok_i;
        st->truth_amount_ok += (uint64_t)(ok_a && f->intent[0]);
        st->truth_currency_ok += (uint64_t)(ok_c && f->intent[0]);
        st->truth_all_ok += (uint64_t)(ok_i && ok_a && ok_c);
    }
    /* "id|status|outcome|intent|amount", the bytes the digest has always hashed */
    char key[TRAFFIC_ID_MAX + sizeof f->outcome + sizeof f->intent + 2 * FMT_I64_MAX + 4];
    size_t n = 0;
    n = put(key, n, f->rec.id);
    key[n++] = '|';
    n += fmt_i64(key + n, f->primary_status);
    key[n++] = '|';
    n = put(key, n, f->outcome);
    key[n++] = '|';
    n = put(key, n, f->intent);
    key[n++] = '|';
    n += fmt_i64(key + n, f->amount);
    st->digest += rng_hash(0x64696765ULL, key, n);
    if (s->o->dump) dump_record(s, f);
    /* the record's memory goes now; the exchange keeps its handle for the slot's next record */
    traffic_record_clear(&f->rec);
    flow_reset(f);
    s->active--;
}

/* Take rec (moved into a free slot) and send its first request. */
static void flow_start(sched *s, flow *f, traffic_record *rec, int64_t intended_us)
{
    flow_reset(f);
    f->active = 1;
    traffic_record_move(&f->rec, rec);
    s->active++;
    s->started++;
    s->st->records++;
    const char *path = f->rec.path;
    fmt_copy(f->outcome, sizeof f->outcome, "none");
    if (strcmp(path, "/v3/oauth2/token") == 0 || strncmp(path, "/__admin", 8) == 0 ||
        strcmp(path, "/metrics") == 0) {
        /* The harness fetches its own tokens; operations are not part of a replay. */
        s->st->skipped++;
        fmt_copy(f->outcome, sizeof f->outcome, "skipped");
        flow_finish(s, f);
        return;
    }
    if (strncmp(path, "/v3/", 4) == 0) {
        f->m = creds_merchant(s->cr, f->rec.merchant);
        if (!f->m) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s:%ld: merchant '%s' is not in the scenario",
                     s->o->traffic_path, f->rec.line, f->rec.merchant);
            s->st->unknown_merchant++;
            input_error(s, msg);
            fmt_copy(f->outcome, sizeof f->outcome, "input_error");
            flow_finish(s, f);
            return;
        }
    }
    if (s->po->kind == POLICY_HYBRID && strcmp(f->rec.endpoint, "order_routing") == 0) {
        cJSON *holder = NULL;
        const char *text = policy_text(&f->rec, &holder);
        int64_t saved = 0;
        const char *intent = NULL;
        if (policy_cache_lookup(s->cache, text, &saved, &intent)) {
            /* A phrase the model is known to misread: the client uses the fallback's
             * earlier parse and skips both calls. */
            s->st->cache_hits++;
            s->st->cache_saved_micros += saved;
            fmt_copy(f->outcome, sizeof f->outcome, "cached");
            fmt_copy(f->intent, sizeof f->intent, intent);
            f->primary_status = 200;
            cJSON_Delete(holder);
            flow_finish(s, f);
            return;
        }
        cJSON_Delete(holder);
        if (policy_unsupported_language(&f->rec)) {
            s->st->fallback_calls++;
            char *b = policy_fallback_body(s->po, &f->rec);
            if (b && flow_send(s, f, "chat_completions", "POST", "/v1/chat/completions", b,
                               strlen(b), intended_us) == 0)
                return;
            flow_finish(s, f);
            return;
        }
    }
    size_t len = 0;
    char *body = policy_body(s->po, &f->rec, &len);
    if (f->rec.body && !body) {
        stats_error(s->st, "out of memory");
        flow_finish(s, f);
        return;
    }
    if (flow_send(s, f, f->rec.endpoint, f->rec.method, path, body, len, intended_us) != 0)
        flow_finish(s, f);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *sockp)
{
    (void)easy;
    (void)sockp;
    sched *s = ud;
    int i = 0;
    while (i < s->npfd && s->pfd[i].fd != fd)
        i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < s->npfd) s->pfd[i] = s->pfd[--s->npfd];
        return 0;
    }
    if (i == s->npfd) {
        if (s->npfd == s->cappfd) return -1; /* more sockets than connections allowed */
        s->pfd[s->npfd++].fd = fd;
    }
    s->pfd[i].events =
        (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    s->pfd[i].revents = 0;
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *ud)
{
    (void)multi;
    sched *s = ud;
    s->curl_due_us = timeout_ms < 0 ? -1 : clock_mono_us() + (int64_t)timeout_ms * 1000;
    return 0;
}

/* Hand every finished transfer to its flow. */
static void take_done(sched *s)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        exchange *ex = NULL;
        CURL *easy = m->easy_handle;
        CURLcode code = m->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ex);
        flow *f = (flow *)((char *)ex - offsetof(flow, ex));
        if (easy == f->wc.easy) {
            /* the connection is up (or failed): its handle stays in the multi handle for
             * as long as the connection is used */
            if (wire_conn_connected(&f->wc, code) != WIRE_MORE) {
                flow_done(s, f, CURLE_OK);
                s->finished = 1;
            }
            continue;
        }
        curl_multi_remove_handle(s->multi, easy);
        /* libcurl 7.88 sends a request again when a kept connection it reused gives no
         * answer, but not when the send itself fails because the server closed that
         * connection just then ("Failed sending data to the peer"): the same server
         * keep-alive timeout, met a moment earlier. Nothing reached the server, so the
         * request goes out once more, as wire.c does; libcurl connects afresh. */
        long fresh = 1;
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &fresh);
        if (code == CURLE_SEND_ERROR && fresh == 0 && !f->curl_resent) {
            f->curl_resent = 1;
            client_response_clear(ex);
            if (curl_multi_add_handle(s->multi, easy) == CURLM_OK) continue;
        }
        f->curl_resent = 0;
        flow_done(s, f, code);
        s->finished = 1;
    }
}

/* Wait up to wait_ms for a socket libcurl or a wire connection watches, then let each
 * ready one run. */
static void wait_sockets(sched *s, int wait_ms)
{
    int running = 0, nc = s->npfd, nw = 0;
    for (int i = 0; s->wown && i < s->nflows; i++) {
        flow *f = &s->flows[i];
        /* a connection in use, or an idle one whose end the poll may bring */
        short ev = (f->on_wire && !f->wire_ended) || f->wc.state == WIRE_IDLE
                       ? wire_conn_events(&f->wc)
                       : 0;
        if (!ev) continue;
        s->pfd[nc + nw] = (struct pollfd){.fd = f->wc.fd, .events = ev};
        s->wown[nw++] = f;
    }
    if (nc + nw == 0 && wait_ms == 0) return;
    if (poll(s->pfd, (nfds_t)(nc + nw), wait_ms) <= 0) return;
    /* libcurl changes s->pfd from inside socket_action, and a finished flow may start the
     * next request: act on copies */
    int n = 0, nr = 0;
    for (int i = 0; i < nc; i++)
        if (s->pfd[i].revents) s->ready[n++] = s->pfd[i];
    for (int i = 0; i < nw; i++) {
        if (!s->pfd[nc + i].revents) continue;
        s->wready[nr] = s->wown[i];
        s->wrev[nr++] = s->pfd[nc + i].revents;
    }
    for (int i = 0; i < nr; i++) {
        flow *f = s->wready[i];
        if (wire_conn_io(&f->wc, s->wrev[i]) == WIRE_MORE) continue;
        flow_done(s, f, CURLE_OK);
        s->finished = 1;
    }
    for (int i = 0; i < n; i++) {
        short r = s->ready[i].revents;
        int ev = ((r & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
                 ((r & POLLOUT) ? CURL_CSELECT_OUT : 0) |
                 ((r & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(s->multi, s->ready[i].fd, ev, &running);
    }
}

static flow *free_slot(sched *s)
{
    if (s->active >= s->nflows) return NULL;
    for (int i = 0; i < s->nflows; i++)
        if (!s->flows[i].active) return &s->flows[i];
    return NULL;
}

/* Read ahead one record; sets stop_reading at the end or when the limits say so. */
static void read_pending(sched *s)
{
    char err[400];
    while (!s->have_pending && !s->stop_reading) {
        if (s->o->max_requests && s->started >= s->o->max_requests) {
            s->stop_reading = 1;
            return;
        }
        int rc = traffic_next(s->t, &s->pending, err, sizeof err);
        if (rc == TRAFFIC_RECORD) {
            if (s->first_at_ms < 0) s->first_at_ms = s->pending.at_ms;
            s->have_pending = 1;
        } else if (rc == TRAFFIC_BAD) {
            input_error(s, err);
        } else {
            if (rc == TRAFFIC_EIO) {
                input_error(s, err);
                s->res->input_failed = 1;
            }
            s->stop_reading = 1;
        }
    }
}

static int64_t intended_of(sched *s, int64_t start_us, int64_t now)
{
    if (s->o->closed) return now;
    if (s->o->rate > 0) return start_us + (int64_t)((double)s->started * 1e6 / s->o->rate);
    double speed = s->o->speed > 0 ? s->o->speed : 1.0;
    int64_t rel = s->pending.at_ms - s->first_at_ms;
    if (rel < 0) rel = 0;
    return start_us + (int64_t)((double)rel * 1000.0 / speed);
}

/* The run's allocations, the multi handle and, on the wire, each slot's connection.
 * Returns 0, or -1 after saying why on stderr; sched_close frees what was made. */
static int sched_open(sched *s)
{
    const sched_opts *o = s->o;
    /* sched_run gives 64 for none; a local the compiler knows to be positive (it warned of
     * calloc sizes past SIZE_MAX on paths it made where s->nflows, read again after
     * calls, was not) */
    const int nflows = s->nflows;
    if (nflows < 1) return -1;
    s->flows = calloc((size_t)nflows, sizeof *s->flows);
    s->multi = curl_multi_init();
    /* a connection per slot at most, and room for sockets on their way out */
    s->cappfd = 2 * nflows + 16;
    s->pfd = calloc((size_t)(s->cappfd + nflows), sizeof *s->pfd);
    s->ready = calloc((size_t)s->cappfd, sizeof *s->ready);
    s->curl_due_us = -1;
    if (!s->flows || !s->multi || !s->pfd || !s->ready ||
        policy_cache_new(s->po->kind == POLICY_HYBRID ? s->po->cache_size : 0, &s->cache) != 0)
        goto oom;
    /* On the wire each slot may hold a connection of its own besides a libcurl transfer
     * (a request too long for the wire): neither may wait for the other, and libcurl must
     * not close a CONNECT_ONLY connection to make room in its cache between its connect
     * and the first send. */
    int wire = o->http_client == SCHED_HTTP_WIRE && !client_proxy_in_env() &&
               wire_host(o->base_url, (char[300]){0}, 300) == 0;
    long maxconn = wire ? 2L * nflows + 16 : (long)nflows;
    for (int i = 0; i < nflows; i++) {
        s->flows[i].ex.timeout_ms = o->request_timeout_ms;
        s->flows[i].ex.cainfo = o->cacert;
    }
    if (wire) {
        s->wown = calloc((size_t)nflows, sizeof *s->wown);
        s->wready = calloc((size_t)nflows, sizeof *s->wready);
        s->wrev = calloc((size_t)nflows, sizeof *s->wrev);
        if (!s->wown || !s->wready || !s->wrev) goto oom;
        for (int i = 0; i < nflows; i++) {
            flow *f = &s->flows[i];
            if (wire_conn_init(&f->wc, s->multi, o->base_url) != 0) goto oom;
            curl_easy_setopt(f->wc.easy, CURLOPT_PRIVATE, &f->ex);
        }
    }
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxconn);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, maxconn);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    return 0;
oom:
    fprintf(stderr, "wxai-harness: out of memory\n");
    return -1;
}

static void sched_close(sched *s)
{
    for (int i = 0; s->flows && i < s->nflows; i++) {
        if (s->flows[i].in_flight && !s->flows[i].on_wire)
            curl_multi_remove_handle(s->multi, s->flows[i].ex.easy);
        wire_conn_free(&s->flows[i].wc);
        traffic_record_clear(&s->flows[i].rec);
        client_exchange_clear(&s->flows[i].ex);
    }
    traffic_record_clear(&s->pending);
    client_exchange_clear(&s->tex);
    free(s->flows);
    if (s->multi) curl_multi_cleanup(s->multi);
    free(s->pfd);
    free(s->ready);
    free(s->wown);
    free(s->wready);
    free(s->wrev);
    policy_cache_free(s->cache);
    traffic_close(s->t);
}

/* Wire exchanges past their deadline (or failed while being sent) end, and retries whose
 * time has come go out; *next_wake comes down to the earliest of what still waits. */
static void run_due(sched *s, int64_t now, int64_t *next_wake)
{
    for (int i = 0; i < s->nflows; i++) {
        flow *f = &s->flows[i];
        if (f->on_wire) {
            /* the exchange's time limit: no libcurl transfer enforces it here */
            if (f->wire_ended || f->wc.deadline_us <= now) {
                if (!f->wire_ended) wire_conn_timeout(&f->wc);
                f->wire_ended = 0;
                flow_done(s, f, CURLE_OK);
                s->finished = 1;
            } else if (f->wc.deadline_us < *next_wake) {
                *next_wake = f->wc.deadline_us;
            }
            continue;
        }
        if (!f->active || f->in_flight || !f->due_us) continue;
        if (f->due_us <= now) {
            int64_t due = f->due_us;
            f->due_us = 0;
            if (flow_resend(s, f, due) != 0) flow_finish(s, f);
        } else if (f->due_us < *next_wake) {
            *next_wake = f->due_us;
        }
    }
}

/* Start every record whose intended time has come, while a slot is free; *next_wake comes
 * down to the next record's time. */
static void start_due(sched *s, int64_t start_us, int64_t now, int64_t *next_wake)
{
    for (;;) {
        read_pending(s);
        if (!s->have_pending) break;
        flow *f = free_slot(s);
        if (!f) break;
        int64_t intended = intended_of(s, start_us, now);
        if (intended > now) {
            if (intended < *next_wake) *next_wake = intended;
            break;
        }
        s->have_pending = 0;
        flow_start(s, f, &s->pending, intended);
        now = clock_mono_us();
    }
}

int sched_run(const sched_opts *o, const policy_opts *po, const scenario *sc, creds *cr, stats *st,
              check_results *checks, sched_result *res)
{
    sched s;
    char err[600];
    int rc = -1;
    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    s.o = o;
    s.po = po;
    s.sc = sc;
    s.cr = cr;
    s.st = st;
    s.checks = checks;
    s.res = res;
    s.first_at_ms = -1;
    s.nflows = o->concurrency > 0 ? o->concurrency : 64;
    if (traffic_open(o->traffic_path, &s.t, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        res->input_failed = 1;
        return -1;
    }
    if (sched_open(&s) != 0) goto out;

    int64_t start_us = clock_mono_us(), last_tick = start_us;
    res->started_us = start_us;
    for (;;) {
        int64_t now = clock_mono_us();
        if (o->stop && *o->stop) {
            res->interrupted = 1;
            break;
        }
        if (o->tick && now - last_tick >= 250000) {
            o->tick(o->tick_ud, st, now - start_us);
            last_tick = now;
        }
        if (o->duration_ms && now - start_us >= o->duration_ms * 1000) s.stop_reading = 1;
        int64_t next_wake = now + 50000;
        run_due(&s, now, &next_wake);
        start_due(&s, start_us, now, &next_wake);
        if (s.stop_reading && !s.have_pending && s.active == 0) break;
        if (s.stop_reading && s.have_pending) {
            traffic_record_clear(&s.pending);
            s.have_pending = 0;
            if (s.active == 0) break;
        }
        now = clock_mono_us();
        if (s.curl_due_us >= 0 && s.curl_due_us <= now) {
            /* new transfers start here, and timeouts are noticed */
            int running = 0;
            s.curl_due_us = -1;
            curl_multi_socket_action(s.multi, CURL_SOCKET_TIMEOUT, 0, &running);
            take_done(&s);
            now = clock_mono_us();
        }
        if (s.curl_due_us >= 0 && s.curl_due_us < next_wake) next_wake = s.curl_due_us;
        int64_t wait_ms = (next_wake - now) / 1000;
        if (wait_ms < 0) wait_ms = 0;
        if (wait_ms > 50) wait_ms = 50;
        /* A finished transfer may have freed a slot or set a retry: look for work before
         * sleeping (when every transfer in flight ended within libcurl's call, nothing
         * would wake the wait). */
        if (s.finished) wait_ms = 0;
        s.finished = 0;
        if (s.npfd || s.wown || wait_ms > 0) {
            wait_sockets(&s, (int)wait_ms);
            take_done(&s);
        }
    }
    res->finished_us = clock_mono_us();
    /* Unreachable: nothing answered at all and the transport said nobody listens. */
    res->unreachable =
        st->exchanges > 0 && st->status[0] == st->exchanges && res->unreachable_exchanges > 0;
    rc = 0;
out:
    sched_close(&s);
    return rc;
}
