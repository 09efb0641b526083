#include "server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "auth.h"
#include "chat.h"
#include "engine.h"
#include "clock.h"
#include "exchange.h"
#include "fraud.h"
#include "http.h"
#include "idempotency.h"
#include "jarena.h"
#include "json.h"
#include "oauth.h"
#include "routing.h"

#define NONCE_CAPACITY (1u << 18)
#define FORM_BODY_MAX 4096
#define WORKERS_WARN_MS 10000

/* An immutable scenario and the requests still using it. */
typedef struct scenario_ref {
    scenario *sc;
    engine *eng; /* its runtime state (buckets, counters, clock): made and freed with it */
    atomic_int refs;
} scenario_ref;

struct server {
    struct mg_context *ctx;
    pthread_rwlock_t sc_lock; /* guards `current` and writes of `generation` */
    scenario_ref *current;
    /* bumped with every new `current`. Workers read it on every request to learn whether
     * the scenario they hold is still current, so the padding keeps whatever requests
     * write off its cache line. */
    char pad_before[64];
    atomic_uint_fast64_t generation;
    char pad_after[64];
    nonce_cache *nonces;
    clarify_store *clarifications;
    idempotency_store *idempotency; /* answers kept for Idempotency-Key retries */
    batch_store *batches;           /* fraud-score batches */
    chatlimit *chat_limits;         /* /v1 requests per API key */
    journal *journal;
    metrics *metrics;
    char *admin_token;
    char *base_dir; /* where the first scenario's file is: fixtures of PUT scenarios resolve here */
    int64_t started_ms;
    int port;
    char url[64];
    /* CivetWeb 1.15 gives each connection a worker until it closes, idle keep-alive ones
     * for up to idle_timeout_ms: once every worker holds one, a new client waits without a
     * word. */
    int threads;
    int64_t idle_timeout_ms;
    atomic_int conns;                 /* connections a worker holds now */
    atomic_uint_fast64_t saturations; /* times the last free worker took a connection */
    atomic_llong warned_ms;           /* when the last workers_busy event went out; 0: never */
};

typedef int (*route_fn)(http_req *req, const cJSON *body);

enum { ROUTE_EXACT = 0, ROUTE_PREFIX = 1 };
enum { ROUTE_ADMIN = 2 }; /* is_signed value: X-Admin-Token instead of the signature check */
enum { BODY_NONE = 0, BODY_FORM, BODY_JSON };

typedef struct route {
    const char *method;
    const char *path;
    int match;
    int is_signed; /* the contract's signed-request check applies */
    int body;
    route_fn fn;
} route;

static const route routes[] = {
    {"POST", "/v3/oauth2/token", ROUTE_EXACT, 0, BODY_FORM, oauth_token},
    {"POST", "/v3/ai/order-routing", ROUTE_EXACT, 1, BODY_JSON, routing_create},
    {"POST", "/v3/ai/order-routing/clarifications/", ROUTE_PREFIX, 1, BODY_JSON, routing_answer},
    {"POST", "/v3/ai/fraud-score", ROUTE_EXACT, 1, BODY_JSON, fraud_create},
    {"POST", "/v3/ai/fraud-score/batches", ROUTE_EXACT, 1, BODY_JSON, fraud_batch_create},
    {"GET", "/v3/ai/fraud-score/batches/", ROUTE_PREFIX, 1, BODY_NONE, fraud_batch_get},
    /* API-key auth and JSON parsing are chat.c's: OpenAI answers 401 before looking at the body */
    {"POST", "/v1/chat/completions", ROUTE_EXACT, 0, BODY_NONE, chat_completions},
    {"GET", "/v1/models", ROUTE_EXACT, 0, BODY_NONE, chat_models},
    {"GET", "/v1/models/", ROUTE_PREFIX, 0, BODY_NONE, chat_model_get},
    {"GET", "/__admin/health", ROUTE_EXACT, ROUTE_ADMIN, BODY_NONE, admin_health},
    {"GET", "/__admin/scenario", ROUTE_EXACT, ROUTE_ADMIN, BODY_NONE, admin_scenario_get},
    {"PUT", "/__admin/scenario", ROUTE_EXACT, ROUTE_ADMIN, BODY_NONE, admin_scenario_put},
    {"POST", "/__admin/model-version", ROUTE_EXACT, ROUTE_ADMIN, BODY_JSON, admin_model_version},
    {"POST", "/__admin/clock", ROUTE_EXACT, ROUTE_ADMIN, BODY_JSON, admin_clock},
    {"GET", "/__admin/requests", ROUTE_EXACT, ROUTE_ADMIN, BODY_NONE, admin_requests},
    {"POST", "/__admin/reset", ROUTE_EXACT, ROUTE_ADMIN, BODY_NONE, admin_reset},
    {"GET", "/metrics", ROUTE_EXACT, 0, BODY_NONE, admin_metrics},
};

static scenario_ref *scenario_acquire(server *s)
{
    pthread_rwlock_rdlock(&s->sc_lock);
    scenario_ref *ref = s->current;
    atomic_fetch_add(&ref->refs, 1);
    pthread_rwlock_unlock(&s->sc_lock);
    return ref;
}

static void scenario_release(scenario_ref *ref)
{
    if (ref && atomic_fetch_sub(&ref->refs, 1) == 1) {
        engine_free(ref->eng);
        scenario_free(ref->sc);
        free(ref);
    }
}

/* The scenario a worker thread holds (one reference) from one request to the next. */
typedef struct held {
    server *srv;
    uint64_t generation;
    scenario_ref *ref;
} held;

static pthread_key_t held_key;
static pthread_once_t held_once = PTHREAD_ONCE_INIT;
static int held_key_ok;
static _Thread_local held *my_held;

/* A worker thread ends (mg_stop joins them all before server_stop frees anything): the
 * reference it held goes, and with the last one the scenario. */
static void held_exit(void *p)
{
    held *h = p;
    scenario_release(h->ref);
    free(h);
}

static void held_key_make(void)
{
    held_key_ok = pthread_key_create(&held_key, held_exit) == 0;
}

/* The current scenario for a request on a worker thread, without taking a reference of
 * its own: the worker keeps one until the scenario is replaced. Taking and dropping a
 * reference per request (a read lock and two atomic adds on lines every worker writes)
 * cost about 0.15 us of each request in perf, most of it waiting for those lines to come
 * from the other CPU. After a reload a worker lets go of the old scenario at its next
 * request, or when it ends; until then an idle worker keeps it in memory. */
static scenario_ref *scenario_for_worker(server *s)
{
    held *h = my_held;
    uint64_t gen = atomic_load_explicit(&s->generation, memory_order_acquire);
    if (h && h->srv == s && h->generation == gen) return h->ref;
    if (!h) {
        pthread_once(&held_once, held_key_make);
        if (!held_key_ok || !(h = calloc(1, sizeof *h))) return NULL;
        if (pthread_setspecific(held_key, h) != 0) {
            free(h);
            return NULL;
        }
        my_held = h;
    }
    scenario_release(h->ref);
    pthread_rwlock_rdlock(&s->sc_lock);
    h->ref = s->current;
    atomic_fetch_add(&h->ref->refs, 1);
    h->generation = atomic_load_explicit(&s->generation, memory_order_relaxed);
    pthread_rwlock_unlock(&s->sc_lock);
    h->srv = s;
    return h->ref;
}

static int path_matches(const route *r, const char *path)
{
    if (r->match == ROUTE_EXACT) return strcmp(path, r->path) == 0;
    size_t n = strlen(r->path);
    return strncmp(path, r->path, n) == 0 && path[n] != '\0' && !strchr(path + n, '/');
}

/* 404 for unknown paths; 405 with Allow when only the method is wrong. */
static const route *route_find(http_req *req)
{
    const char *path = req->ri->local_uri, *method = req->ri->request_method;
    char allow[64] = "";
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (!path_matches(&routes[i], path)) continue;
        if (strcmp(routes[i].method, method) == 0) return &routes[i];
        snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "",
                 routes[i].method);
    }
    if (allow[0]) {
        http_add_header(req, "Allow", "%s", allow);
        http_error(req, 405, "METHOD_NOT_ALLOWED", "method not allowed on this path", NULL);
    } else {
        http_error(req, 404, "RESOURCE_NOT_EXISTS", "no such route", NULL);
    }
    return NULL;
}

static void serve(http_req *req, server *s)
{
    const route *r = route_find(req);
    cJSON *json = NULL;
    jarena *arena = NULL;
    int jr = 0;
    /* order routing may carry attachments: its body may be as large as their cap */
    size_t cap = r && r->body == BODY_FORM ? FORM_BODY_MAX
                 : r && r->fn == routing_create
                     ? (size_t)req->sc->defaults.max_attachment_body_bytes
                     : (size_t)req->sc->defaults.max_body_bytes;
    if (!r) return;
    if (r->is_signed == ROUTE_ADMIN && admin_authorize(req) != 0) return;

    int rd = http_read_body(req, cap);
    if (rd == HTTP_ETOOBIG) {
        char msg[96];
        snprintf(msg, sizeof msg, "the body is larger than the limit of %zu bytes", cap);
        http_add_header(req, "Connection", "close");
        http_error(req, 413, "REQUEST_TOO_LARGE", msg, NULL);
        return;
    }
    if (rd != HTTP_OK) {
        http_add_header(req, "Connection", "close");
        http_error(req, 400, "INVALID_REQUEST", "the body ended before its declared length", NULL);
        return;
    }
    if (r->is_signed == 1 && auth_check(req, s->nonces) != 0) return;
    /* a replay is answered before the engine: no rate-limit token, latency or fault */
    if (r->is_signed == 1 && idempotency_http_begin(req, s->idempotency) != 0) return;
    /* rate limit, faults, latency, model version (engine.h) */
    if (r->is_signed == 1 && engine_http_admit(req) != 0) return;
    if (r->body == BODY_JSON) {
        size_t off = 0;
        char msg[128];
        if (!json_is_media_type(http_hdr(req, HTTP_HDR_CONTENT_TYPE))) {
            http_error(req, 415, "UNSUPPORTED_MEDIA_TYPE",
                       "send Content-Type: application/json; charset=utf-8", NULL);
            return;
        }
        /* The worker's arena spares a malloc and a free per node of every body; handlers
         * read the tree (const) and never keep it, so it is forgotten below. */
        arena = jarena_thread();
        jr = arena ? jarena_parse(arena, req->body, req->body_len, JSON_MAX_DEPTH, &json, &off)
                   : json_parse(req->body, req->body_len, JSON_MAX_DEPTH, &json, &off);
        if (jr < 0) {
            if (jr == JSON_EDEPTH)
                snprintf(msg, sizeof msg, "JSON nested deeper than %d levels at byte %zu",
                         JSON_MAX_DEPTH, off);
            else
                snprintf(msg, sizeof msg, "the body is not valid JSON (error at byte %zu)", off);
            http_error(req, 400, "INVALID_REQUEST", msg, NULL);
            return;
        }
    }
    r->fn(req, json);
    if (arena)
        jarena_release(arena, json, jr);
    else
        cJSON_Delete(json);
}

static void observe(http_req *req)
{
    idempotency_http_end(req, req->srv->idempotency); /* before the answer leaves */
    exchange_observe(req->srv->journal, req->srv->metrics, req, clock_mono_ms() - req->start_ms);
}

static int dispatch(struct mg_connection *conn, void *data)
{
    server *s = data;
    http_req req;
    memset(&req, 0, HTTP_REQ_ZERO);
    req.url[0] = req.extra[0] = '\0';
    req.conn = conn;
    req.ri = mg_get_request_info(conn);
    req.srv = s;
    http_req_scan_headers(&req);
    ident_uuid(req.request_id, sizeof req.request_id);
    {
        /* path?query, cut at the buffer as snprintf would; memcpy because this runs per request */
        size_t cap = sizeof req.url - 1, n = 0;
        const char *parts[3] = {req.ri->local_uri, req.ri->query_string ? "?" : NULL,
                                req.ri->query_string};
        for (int i = 0; i < 3; i++) {
            if (!parts[i]) continue;
            size_t m = strlen(parts[i]);
            if (m > cap - n) m = cap - n;
            memcpy(req.url + n, parts[i], m);
            n += m;
        }
        req.url[n] = '\0';
    }

    req.start_ms = clock_mono_ms();
    req.observe = observe;
    /* without a thread key (or memory for it) a request takes a reference of its own */
    scenario_ref *ref = scenario_for_worker(s), *own = ref ? NULL : (ref = scenario_acquire(s));
    req.sc = ref->sc;
    engine_req er = {.endpoint = -1, .fault = -1};
    req.engine = ref->eng;
    req.er = &er;
    req.before_send = engine_http_before_send;
    serve(&req, s);
    if (req.status == 0) http_error(&req, 500, "SYSTEM_ERROR", "no response was produced", NULL);
    if (req.observe) req.observe(&req); /* a streamed answer, seen once it has ended */
    http_req_cleanup(&req);
    scenario_release(own);
    return req.status ? req.status : 500;
}

static int on_connection_open(const struct mg_connection *conn, void **conn_data)
{
    server *s = mg_get_user_data(mg_get_context(conn));
    (void)conn_data;
    if (atomic_fetch_add(&s->conns, 1) + 1 < s->threads) return 0;
    atomic_fetch_add(&s->saturations, 1);
    /* one line per episode at most every WORKERS_WARN_MS: a client pool that keeps the
     * workers full would otherwise print one per connection */
    long long now = (long long)clock_mono_ms(), last = atomic_load(&s->warned_ms);
    if (last && now - last < WORKERS_WARN_MS) return 0;
    if (!atomic_compare_exchange_strong(&s->warned_ms, &last, now)) return 0;
    printf("{\"event\":\"workers_busy\",\"workers\":%d,\"message\":\"every worker holds a "
           "connection (an idle keep-alive one for up to %lld ms), so new connections wait: "
           "start wxai-mock with --threads above the number of connections your clients keep "
           "open, or a shorter --idle-timeout\"}\n",
           s->threads, (long long)s->idle_timeout_ms);
    fflush(stdout);
    return 0;
}

static void on_connection_close(const struct mg_connection *conn)
{
    server *s = mg_get_user_data(mg_get_context(conn));
    atomic_fetch_sub(&s->conns, 1);
}

/* Requests are authenticated by the routes themselves (tokens, signatures, the admin
 * token). Without an authorization handler CivetWeb looks for a .htpasswd file before
 * every request: one failing stat() each, a system call the mock has no use for. */
static int authorize_all(struct mg_connection *conn, void *cbdata)
{
    (void)conn;
    (void)cbdata;
    return 1;
}

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    fprintf(stderr, "{\"event\":\"civetweb\",\"message\":\"%.200s\"}\n", message);
    return 1;
}

/* The URL clients use: the listen host, or loopback when bound to every address. */
static void url_for(const char *listen, int port, char *out, size_t cap)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    size_t hlen = colon ? (size_t)(colon - listen) : 0;
    if (hlen == 0 || hlen >= 48 || strncmp(listen, "0.0.0.0", hlen) == 0 ||
        strncmp(listen, "[::]", hlen) == 0)
        snprintf(out, cap, "http://127.0.0.1:%d", port);
    else
        snprintf(out, cap, "http://%.*s:%d", (int)hlen, listen, port);
}

int server_start(const server_options *opts, scenario *sc, server **out)
{
    char threads[16];
    server *s = calloc(1, sizeof *s);
    if (!s) return -1;
    pthread_rwlock_init(&s->sc_lock, NULL);
    s->current = calloc(1, sizeof *s->current);
    if (!s->current || nonce_cache_new(NONCE_CAPACITY, AUTH_WINDOW_S, &s->nonces) != 0 ||
        clarify_store_new((size_t)sc->defaults.max_clarifications, &s->clarifications) != 0 ||
        idempotency_store_new(IDEMPOTENCY_CAPACITY, IDEMPOTENCY_MAX_BYTES, &s->idempotency) != 0 ||
        batch_store_new(BATCH_MAX_STORED, BATCH_MAX_ITEMS, BATCH_TTL_MS, &s->batches) != 0 ||
        metrics_new(&s->metrics) != 0 || chatlimit_new(0, &s->chat_limits) != 0 ||
        journal_new(opts->journal_off    ? 0
                    : opts->journal_size ? opts->journal_size
                                         : JOURNAL_DEFAULT_SIZE,
                    opts->record_path, &s->journal) != 0 ||
        (opts->admin_token && !(s->admin_token = strdup(opts->admin_token))))
        goto fail;
    s->started_ms = clock_mono_ms();
    if (sc->path && sc->path[0] != '<' && (s->base_dir = strdup(sc->path))) {
        char *slash = strrchr(s->base_dir, '/');
        if (slash)
            slash[slash == s->base_dir] = '\0';
        else
            strcpy(s->base_dir, ".");
    }
    s->current->sc = sc;
    atomic_init(&s->current->refs, 1);
    atomic_init(&s->conns, 0);
    atomic_init(&s->saturations, 0);
    atomic_init(&s->warned_ms, 0);
    if (engine_new(sc, &s->current->eng) != 0) goto fail;

    s->threads = opts->threads > 0 ? opts->threads : 32;
    snprintf(threads, sizeof threads, "%d", s->threads);
    s->idle_timeout_ms =
        opts->idle_timeout_ms > 0 ? opts->idle_timeout_ms : SERVER_IDLE_TIMEOUT_DEFAULT_MS;
    char idle[24];
    snprintf(idle, sizeof idle, "%lld", (long long)s->idle_timeout_ms);
    const char *options[] = {
        "listening_ports",
        opts->listen ? opts->listen : "127.0.0.1:0",
        "num_threads",
        threads,
        "enable_keep_alive",
        "yes",
        "keep_alive_timeout_ms",
        idle,
        "tcp_nodelay",
        "1", /* without it every keep-alive response waits ~44 ms (Nagle) */
        "request_timeout_ms",
        "30000",
        NULL,
    };
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.log_message = log_message;
    cb.init_connection = on_connection_open;
    cb.connection_close = on_connection_close;
    s->ctx = mg_start(&cb, s, options);
    if (!s->ctx) {
        fprintf(stderr, "wxai-mock: cannot listen on %s\n", options[1]);
        goto fail;
    }
    mg_set_request_handler(s->ctx, "/", dispatch, s);
    mg_set_auth_handler(s->ctx, "/", authorize_all, NULL);
    struct mg_server_port ports[4];
    int n = mg_get_server_ports(s->ctx, 4, ports);
    if (n < 1) {
        fprintf(stderr, "wxai-mock: no listening port\n");
        goto fail;
    }
    s->port = ports[0].port;
    url_for(opts->listen, s->port, s->url, sizeof s->url);
    *out = s;
    return 0;
fail:
    if (s->current) engine_free(s->current->eng);
    free(s->current); /* its scenario is still the caller's */
    s->current = NULL;
    server_stop(s);
    return -1;
}

void server_stop(server *s)
{
    if (!s) return;
    if (s->ctx) mg_stop(s->ctx);
    scenario_release(s->current);
    nonce_cache_free(s->nonces);
    clarify_store_free(s->clarifications);
    idempotency_store_free(s->idempotency);
    batch_store_free(s->batches);
    chatlimit_free(s->chat_limits);
    journal_free(s->journal);
    metrics_free(s->metrics);
    free(s->admin_token);
    free(s->base_dir);
    pthread_rwlock_destroy(&s->sc_lock);
    free(s);
}

const char *server_url(const server *s)
{
    return s->url;
}

int server_port(const server *s)
{
    return s->port;
}

nonce_cache *server_nonces(server *s)
{
    return s->nonces;
}

clarify_store *server_clarifications(server *s)
{
    return s->clarifications;
}

batch_store *server_batches(server *s)
{
    return s->batches;
}

void server_workers(server *s, int *total, int *busy, uint64_t *saturations)
{
    *total = s->threads;
    *busy = atomic_load(&s->conns);
    *saturations = (uint64_t)atomic_load(&s->saturations);
}

chatlimit *server_chatlimit(server *s)
{
    return s ? s->chat_limits : NULL;
}

journal *server_journal(server *s)
{
    return s->journal;
}

metrics *server_metrics(server *s)
{
    return s->metrics;
}

const char *server_admin_token(const server *s)
{
    return s->admin_token;
}

int64_t server_started_ms(const server *s)
{
    return s->started_ms;
}

const char *server_base_dir(const server *s)
{
    return s->base_dir;
}

int server_reload(server *s, scenario *sc)
{
    scenario_ref *ref = calloc(1, sizeof *ref), *old;
    if (!ref) return -1;
    ref->sc = sc;
    atomic_init(&ref->refs, 1);
    /* Buckets and scenario time start again, but the wall clock goes on from the old
     * engine's (held meanwhile): clarifications and idempotency keys outlive the reload
     * with absolute expiries on it. */
    scenario_ref *prev = scenario_acquire(s);
    int rc = engine_new_after(sc, prev->eng, &ref->eng);
    scenario_release(prev);
    if (rc != 0) {
        free(ref);
        return -1;
    }
    pthread_rwlock_wrlock(&s->sc_lock);
    old = s->current;
    s->current = ref;
    atomic_fetch_add_explicit(&s->generation, 1, memory_order_release);
    pthread_rwlock_unlock(&s->sc_lock);
    /* The last request still holding the old scenario frees it. */
    scenario_release(old);
    metrics_reload(s->metrics, 1);
    chatlimit_clear(s->chat_limits); /* like the engine's buckets, chat's start again */
    return 0;
}

void server_reset(server *s)
{
    journal_clear(s->journal);
    nonce_cache_clear(s->nonces);
    clarify_clear(s->clarifications);
    idempotency_clear(s->idempotency);
    metrics_reset(s->metrics);
    atomic_store(&s->saturations, 0);
    chatlimit_clear(s->chat_limits);
}
