/* directory: people and recent orders loaded from a fixtures file (see directory.h). */
#include "directory.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <openssl/evp.h>

#include "clock.h"
#include "utf8.h"
#include "ytree.h"

/* Field values are names and ids: longer ones are a mistake, not data to keep. */
#define DIR_STR_MAX 256

typedef struct ctx {
    diag *d;
    size_t errors;
    int oom;
} ctx;

static void bad(ctx *c, const ytree_node *n, const char *path, const char *msg)
{
    c->errors++;
    diag_add(c->d, n ? n->line : 0, n ? n->col : 0, "%s: %s", path, msg);
}

/* Copy a non-empty string scalar; NULL (with an error) otherwise. */
static char *get_str(ctx *c, const ytree_node *n, const char *path)
{
    if (!n || n->kind != YT_SCALAR || ytree_is_null(n)) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be a non-empty string, not %s", ytree_kind_name(n));
        bad(c, n, path, msg);
        return NULL;
    }
    if (n->len != strlen(n->str) || n->len > DIR_STR_MAX) {
        bad(c, n, path, "must be a string of at most 256 bytes without NUL");
        return NULL;
    }
    char *s = strdup(n->str);
    if (!s) c->oom = 1;
    return s;
}

/* A required child: reports "missing required key" at the map's position. */
static const ytree_node *need(ctx *c, const ytree_node *map, const char *key, const char *path)
{
    const ytree_node *v = ytree_get(map, key);
    if (!v) {
        c->errors++;
        diag_add(c->d, map->line, map->col, "%s: missing required key '%s'", path, key);
    }
    return v;
}

static int get_count(ctx *c, const ytree_node *n, const char *path, int64_t *out)
{
    if (ytree_int(n, out) < 0 || *out < 0) {
        bad(c, n, path, "must be a non-negative integer");
        return -1;
    }
    return 0;
}

/* A list of strings into a fixed array: over the cap is an error, never truncated silently. */
static void get_str_list(ctx *c, const ytree_node *n, const char *path, char **arr, size_t cap,
                         size_t *count)
{
    if (!n) return;
    if (n->kind != YT_SEQ) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be a list of strings, not %s", ytree_kind_name(n));
        bad(c, n, path, msg);
        return;
    }
    if (n->nitems > cap) {
        char msg[96];
        snprintf(msg, sizeof msg, "at most %zu entries allowed, got %zu", cap, n->nitems);
        bad(c, n, path, msg);
        return;
    }
    for (size_t i = 0; i < n->nitems; i++) {
        char ip[160];
        snprintf(ip, sizeof ip, "%s[%zu]", path, i);
        char *s = get_str(c, n->items[i], ip);
        if (s) arr[(*count)++] = s;
    }
}

static const char *const person_keys[] = {
    "openid", "name", "aliases", "devices", "typical_amount_fen", "account_age_days"};
static const char *const order_keys[] = {"out_trade_no", "description",  "keywords",
                                         "total",        "currency",     "at",
                                         "payer",        "participants", "category"};
static const char *const receipt_keys[] = {"file", "sha256", "order"};
static const char *const voice_note_keys[] = {"file", "sha256", "text"};
static const char *const top_keys[] = {"people", "orders", "receipts", "voice_notes"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One mapping of a list being loaded: where it is, for messages, and the field last asked for. */
typedef struct entry {
    ctx *c;
    const ytree_node *n;
    char path[64]; /* "people[3]" */
    char fp[128];  /* "people[3].name" */
} entry;

/* Item i of list as a mapping with the given keys; 0 (reported as not_map) when it is not one. */
static int entry_open(entry *en, ctx *c, const ytree_node *n, const char *list, size_t i,
                      const char *const *keys, size_t nkeys, const char *not_map)
{
    en->c = c;
    en->n = n;
    snprintf(en->path, sizeof en->path, "%s[%zu]", list, i);
    if (n->kind != YT_MAP) {
        bad(c, n, en->path, not_map);
        return 0;
    }
    c->errors += ytree_check_keys(n, keys, nkeys, c->d);
    return 1;
}

/* The path of field key, for its messages. */
static const char *field(entry *en, const char *key)
{
    snprintf(en->fp, sizeof en->fp, "%s.%s", en->path, key);
    return en->fp;
}

static const ytree_node *opt(entry *en, const char *key)
{
    field(en, key);
    return ytree_get(en->n, key);
}

static const ytree_node *req(entry *en, const char *key)
{
    field(en, key);
    return need(en->c, en->n, key, en->path);
}

static void load_person(ctx *c, const ytree_node *n, size_t i, directory_person *p)
{
    entry en;
    if (!entry_open(&en, c, n, "people", i, person_keys, NELEM(person_keys), "must be a mapping"))
        return;
    const ytree_node *v;
    if ((v = req(&en, "openid"))) p->openid = get_str(c, v, en.fp);
    if ((v = req(&en, "name"))) p->name = get_str(c, v, en.fp);
    get_str_list(c, opt(&en, "aliases"), en.fp, p->aliases, DIRECTORY_MAX_ALIASES, &p->naliases);
    get_str_list(c, opt(&en, "devices"), en.fp, p->devices, NELEM(p->devices), &p->ndevices);
    if ((v = opt(&en, "typical_amount_fen"))) get_count(c, v, en.fp, &p->typical_amount_fen);
    if ((v = opt(&en, "account_age_days"))) get_count(c, v, en.fp, &p->account_age_days);
}

static int is_currency(const char *s)
{
    if (strlen(s) != 3) return 0;
    for (int i = 0; i < 3; i++)
        if (s[i] < 'A' || s[i] > 'Z') return 0;
    return 1;
}

static void load_order(ctx *c, const ytree_node *n, size_t i, directory_order *o)
{
    entry en;
    if (!entry_open(&en, c, n, "orders", i, order_keys, NELEM(order_keys), "must be a mapping"))
        return;
    const ytree_node *v;
    if ((v = req(&en, "out_trade_no"))) o->out_trade_no = get_str(c, v, en.fp);
    if ((v = req(&en, "description"))) o->description = get_str(c, v, en.fp);
    get_str_list(c, opt(&en, "keywords"), en.fp, o->keywords, DIRECTORY_MAX_KEYWORDS,
                 &o->nkeywords);
    if ((v = req(&en, "total"))) get_count(c, v, en.fp, &o->total);
    memcpy(o->currency, "CNY", 4);
    if ((v = opt(&en, "currency"))) {
        char *cur = get_str(c, v, en.fp);
        if (cur && is_currency(cur))
            memcpy(o->currency, cur, 4);
        else if (cur)
            bad(c, v, en.fp, "must be a three-letter ISO 4217 code such as CNY");
        free(cur);
    }
    if ((v = req(&en, "at"))) {
        char *at = get_str(c, v, en.fp);
        if (at && clock_parse_rfc3339(at, &o->at_unix, NULL) < 0)
            bad(c, v, en.fp, "must be an RFC 3339 time such as \"2026-12-03T20:30:00+08:00\"");
        free(at);
    }
    if ((v = opt(&en, "payer")) && !ytree_is_null(v)) o->payer = get_str(c, v, en.fp);
    get_str_list(c, opt(&en, "participants"), en.fp, o->participants, DIRECTORY_MAX_PARTICIPANTS,
                 &o->nparticipants);
    if ((v = opt(&en, "category")) && !ytree_is_null(v)) o->category = get_str(c, v, en.fp);
}

/* Cross-checks need the whole file: duplicate ids and openids that name nobody. */
static void check_refs(ctx *c, const ytree_node *root, directory *dir)
{
    const ytree_node *people = ytree_get(root, "people");
    const ytree_node *orders = ytree_get(root, "orders");
    for (size_t i = 0; i < dir->npeople; i++) {
        if (!dir->people[i].openid) continue;
        for (size_t j = 0; j < i; j++) {
            if (dir->people[j].openid && !strcmp(dir->people[i].openid, dir->people[j].openid)) {
                const ytree_node *at = ytree_get(people->items[i], "openid");
                const ytree_node *first = ytree_get(people->items[j], "openid");
                c->errors++;
                diag_add(c->d, at->line, at->col,
                         "people[%zu].openid: duplicate openid '%s' (first defined at %d:%d)", i,
                         dir->people[i].openid, first->line, first->col);
                break;
            }
        }
    }
    for (size_t i = 0; i < dir->norders; i++) {
        directory_order *o = &dir->orders[i];
        const ytree_node *on = orders->items[i];
        if (o->out_trade_no) {
            for (size_t j = 0; j < i; j++) {
                if (dir->orders[j].out_trade_no &&
                    !strcmp(o->out_trade_no, dir->orders[j].out_trade_no)) {
                    const ytree_node *at = ytree_get(on, "out_trade_no");
                    const ytree_node *first = ytree_get(orders->items[j], "out_trade_no");
                    c->errors++;
                    diag_add(c->d, at->line, at->col,
                             "orders[%zu].out_trade_no: duplicate '%s' (first defined at %d:%d)", i,
                             o->out_trade_no, first->line, first->col);
                    break;
                }
            }
        }
        if (o->payer && !directory_person_by_openid(dir, o->payer)) {
            const ytree_node *at = ytree_get(on, "payer");
            c->errors++;
            diag_add(c->d, at->line, at->col, "orders[%zu].payer: no person with openid '%s'", i,
                     o->payer);
        }
        const ytree_node *parts = ytree_get(on, "participants");
        for (size_t k = 0; k < o->nparticipants; k++) {
            if (directory_person_by_openid(dir, o->participants[k])) continue;
            const ytree_node *at = parts->items[k];
            c->errors++;
            diag_add(c->d, at->line, at->col,
                     "orders[%zu].participants[%zu]: no person with openid '%s'", i, k,
                     o->participants[k]);
        }
    }
}

static int hexval(int ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* SHA-256 of a fixture file named relative to the directory file. Returns 0 or -1 with an error. */
static int hash_file(ctx *c, const ytree_node *n, const char *path, const char *dir_file,
                     const char *rel, unsigned char sha[32])
{
    char full[1024], msg[1200];
    const char *slash = strrchr(dir_file, '/');
    if (rel[0] == '/' || !slash)
        snprintf(full, sizeof full, "%s", rel);
    else
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - dir_file), dir_file, rel);
    FILE *f = fopen(full, "rb");
    if (!f) {
        snprintf(msg, sizeof msg, "cannot open %s: %s", full, strerror(errno));
        bad(c, n, path, msg);
        return -1;
    }
    unsigned char *buf = malloc(DIRECTORY_RECEIPT_MAX_BYTES + 1);
    size_t len = buf ? fread(buf, 1, DIRECTORY_RECEIPT_MAX_BYTES + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    unsigned int outlen = 0;
    int rc = -1;
    if (!buf)
        c->oom = 1;
    else if (err)
        bad(c, n, path, "cannot read the file");
    else if (len > DIRECTORY_RECEIPT_MAX_BYTES)
        bad(c, n, path, "file is larger than an attachment can be (6 MiB)");
    else if (EVP_Digest(buf, len, sha, &outlen, EVP_sha256(), NULL) != 1 || outlen != 32)
        bad(c, n, path, "cannot hash the file");
    else
        rc = 0;
    free(buf);
    return rc;
}

/* A list of known attachments: each entry is {file | sha256} plus the kind's own keys. One
 * loader serves every kind so that receipts and voice notes fail the same way. */
typedef struct known_list {
    const char *name;  /* "receipts" */
    const char *shape; /* "{file | sha256, order}", for messages */
    size_t cap;
    const char *const *keys;
    size_t nkeys;
    size_t size;    /* of one entry */
    size_t sha_at;  /* offsetof its unsigned char sha256[32] */
    size_t file_at; /* offsetof its char *file */
    /* Reads the kind's own keys into item; 1 when the entry can be kept. */
    int (*read)(ctx *c, entry *en, void *item, const directory *dir);
    void (*clear)(void *item);
} known_list;

/* The {file | sha256} half of an entry into sha and *file; 1 when it is usable. */
static int read_content(ctx *c, entry *en, const char *dir_file, unsigned char sha256[32],
                        char **file_out)
{
    const ytree_node *file = ytree_get(en->n, "file"), *sha = ytree_get(en->n, "sha256");
    if (!file == !sha) {
        bad(c, en->n, en->path, "give exactly one of 'file' or 'sha256'");
        return 0;
    }
    if (file) {
        const char *fp = field(en, "file");
        return (*file_out = get_str(c, file, fp)) &&
               hash_file(c, file, fp, dir_file, *file_out, sha256) == 0;
    }
    int good = sha->kind == YT_SCALAR && sha->len == 64;
    for (size_t k = 0; good && k < 32; k++) {
        int hi = hexval(sha->str[2 * k]), lo = hexval(sha->str[2 * k + 1]);
        good = hi >= 0 && lo >= 0;
        sha256[k] = (unsigned char)(hi << 4 | lo);
    }
    if (!good) bad(c, sha, field(en, "sha256"), "must be 64 hexadecimal digits");
    return good;
}

/* Two entries with the same bytes would make recognition depend on list order. */
static int is_duplicate(ctx *c, entry *en, const known_list *k, const ytree_node *list,
                        const char *items, const size_t *from, size_t kept)
{
    const char *mine = items + kept * k->size + k->sha_at;
    for (size_t j = 0; j < kept; j++) {
        if (memcmp(items + j * k->size + k->sha_at, mine, 32)) continue;
        const ytree_node *n = list->items[from[j]];
        char msg[160];
        snprintf(msg, sizeof msg, "the same bytes as %s[%zu] (first defined at %d:%d)", k->name,
                 from[j], n->line, n->col);
        bad(c, en->n, en->path, msg);
        return 1;
    }
    return 0;
}

/* Load list into a new array (*out, *count); errors go to c. */
static void load_known(ctx *c, const ytree_node *list, const char *dir_file, const directory *dir,
                       const known_list *k, void **out, size_t *count)
{
    char msg[160];
    if (list->kind != YT_SEQ || list->nitems > k->cap) {
        snprintf(msg, sizeof msg, "must be a list of at most %zu %s", k->cap, k->shape);
        bad(c, list, k->name, msg);
        return;
    }
    if (!list->nitems) return;
    char *items = calloc(list->nitems, k->size);
    size_t *from = calloc(list->nitems, sizeof *from);
    if (!items || !from) {
        free(items);
        free(from);
        c->oom = 1;
        return;
    }
    *out = items;
    snprintf(msg, sizeof msg, "must be a mapping %s", k->shape);
    for (size_t i = 0; i < list->nitems; i++) {
        char *item = items + *count * k->size;
        char **file = (char **)(void *)(item + k->file_at);
        entry en;
        if (!entry_open(&en, c, list->items[i], k->name, i, k->keys, k->nkeys, msg)) continue;
        int ok = read_content(c, &en, dir_file, (unsigned char *)item + k->sha_at, file);
        ok = k->read(c, &en, item, dir) && ok;
        if (ok && !is_duplicate(c, &en, k, list, items, from, *count)) {
            from[(*count)++] = i;
            continue;
        }
        free(*file);
        k->clear(item);
        memset(item, 0, k->size);
    }
    free(from);
}

static int read_receipt(ctx *c, entry *en, void *item, const directory *dir)
{
    directory_receipt *r = item;
    const ytree_node *v = req(en, "order");
    if (!v) return 0;
    char *no = get_str(c, v, en->fp);
    if (no && !(r->order = directory_order_by_no(dir, no))) {
        char msg[320];
        snprintf(msg, sizeof msg, "no order with out_trade_no '%s'", no);
        bad(c, v, en->fp, msg);
    }
    free(no);
    return r->order != NULL;
}

static void clear_receipt(void *item)
{
    (void)item; /* the order is borrowed */
}

/* A transcript is read as a request's text, so it is held to the same limits. */
static int read_voice_note(ctx *c, entry *en, void *item, const directory *dir)
{
    directory_voice_note *vn = item;
    (void)dir;
    const ytree_node *v = req(en, "text");
    if (!v) return 0;
    size_t chars = 0;
    if (v->kind == YT_SCALAR && !ytree_is_null(v) && v->len == strlen(v->str))
        chars = utf8_count(v->str);
    if (chars == 0 || chars == SIZE_MAX || chars > DIRECTORY_TRANSCRIPT_MAX_CHARS) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be 1 to %d characters of UTF-8 text",
                 DIRECTORY_TRANSCRIPT_MAX_CHARS);
        bad(c, v, en->fp, msg);
        return 0;
    }
    if (!(vn->text = strdup(v->str))) c->oom = 1;
    return vn->text != NULL;
}

static void clear_voice_note(void *item)
{
    free(((directory_voice_note *)item)->text);
}

static const known_list receipt_list = {.name = "receipts",
                                        .shape = "{file | sha256, order}",
                                        .cap = DIRECTORY_MAX_RECEIPTS,
                                        .keys = receipt_keys,
                                        .nkeys = NELEM(receipt_keys),
                                        .size = sizeof(directory_receipt),
                                        .sha_at = offsetof(directory_receipt, sha256),
                                        .file_at = offsetof(directory_receipt, file),
                                        .read = read_receipt,
                                        .clear = clear_receipt};
static const known_list voice_note_list = {.name = "voice_notes",
                                           .shape = "{file | sha256, text}",
                                           .cap = DIRECTORY_MAX_VOICE_NOTES,
                                           .keys = voice_note_keys,
                                           .nkeys = NELEM(voice_note_keys),
                                           .size = sizeof(directory_voice_note),
                                           .sha_at = offsetof(directory_voice_note, sha256),
                                           .file_at = offsetof(directory_voice_note, file),
                                           .read = read_voice_note,
                                           .clear = clear_voice_note};

int directory_load(const char *path, diag *d, directory **out)
{
    *out = NULL;
    ytree_node *root = NULL;
    if (ytree_parse_file(path, d, &root) < 0) return -1;
    ctx c = {.d = d};
    directory *dir = calloc(1, sizeof *dir);
    if (!dir) {
        ytree_free(root);
        diag_add(d, 0, 0, "out of memory");
        return -1;
    }
    if (root->kind != YT_MAP) {
        c.errors++;
        diag_add(d, root->line, root->col,
                 "the directory must be a mapping with people and orders");
        goto out;
    }
    c.errors += ytree_check_keys(root, top_keys, NELEM(top_keys), d);
    const ytree_node *people = ytree_get(root, "people");
    const ytree_node *orders = ytree_get(root, "orders");
    if (people && people->kind != YT_SEQ) {
        bad(&c, people, "people", "must be a list");
        people = NULL;
    }
    if (orders && orders->kind != YT_SEQ) {
        bad(&c, orders, "orders", "must be a list");
        orders = NULL;
    }
    if (people && people->nitems) {
        dir->people = calloc(people->nitems, sizeof *dir->people);
        if (!dir->people) {
            c.oom = 1;
            goto out;
        }
        dir->npeople = people->nitems;
        for (size_t i = 0; i < people->nitems; i++)
            load_person(&c, people->items[i], i, &dir->people[i]);
    }
    if (orders && orders->nitems) {
        dir->orders = calloc(orders->nitems, sizeof *dir->orders);
        if (!dir->orders) {
            c.oom = 1;
            goto out;
        }
        dir->norders = orders->nitems;
        for (size_t i = 0; i < orders->nitems; i++)
            load_order(&c, orders->items[i], i, &dir->orders[i]);
    }
    if (!c.errors && !c.oom) check_refs(&c, root, dir);
    const ytree_node *receipts = ytree_get(root, "receipts");
    void *items = NULL;
    if (receipts && !c.errors && !c.oom) {
        load_known(&c, receipts, path, dir, &receipt_list, &items, &dir->nreceipts);
        dir->receipts = items;
    }
    /* a transcript refers to nothing else in the file: checked even when the rest failed */
    const ytree_node *notes = ytree_get(root, "voice_notes");
    if (notes && !c.oom) {
        items = NULL;
        load_known(&c, notes, path, dir, &voice_note_list, &items, &dir->nvoice_notes);
        dir->voice_notes = items;
    }
out:
    ytree_free(root);
    if (c.oom) diag_add(d, 0, 0, "out of memory");
    if (c.errors || c.oom) {
        directory_free(dir);
        return -1;
    }
    *out = dir;
    return 0;
}

void directory_free(directory *dir)
{
    if (!dir) return;
    for (size_t i = 0; i < dir->npeople; i++) {
        directory_person *p = &dir->people[i];
        free(p->openid);
        free(p->name);
        for (size_t k = 0; k < p->naliases; k++)
            free(p->aliases[k]);
        for (size_t k = 0; k < p->ndevices; k++)
            free(p->devices[k]);
    }
    for (size_t i = 0; i < dir->norders; i++) {
        directory_order *o = &dir->orders[i];
        free(o->out_trade_no);
        free(o->description);
        for (size_t k = 0; k < o->nkeywords; k++)
            free(o->keywords[k]);
        free(o->payer);
        for (size_t k = 0; k < o->nparticipants; k++)
            free(o->participants[k]);
        free(o->category);
    }
    for (size_t i = 0; i < dir->nreceipts; i++)
        free(dir->receipts[i].file);
    free(dir->receipts);
    for (size_t i = 0; i < dir->nvoice_notes; i++) {
        free(dir->voice_notes[i].file);
        free(dir->voice_notes[i].text);
    }
    free(dir->voice_notes);
    free(dir->people);
    free(dir->orders);
    free(dir);
}

/* ASCII letters fold; every other byte (UTF-8 included) must be equal. */
static int name_eq(const char *s, const char *name, size_t len)
{
    if (!s || strlen(s) != len) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)name[i];
        if (a >= 'A' && a <= 'Z') a = (unsigned char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = (unsigned char)(b - 'A' + 'a');
        if (a != b) return 0;
    }
    return 1;
}

size_t directory_find_people(const directory *dir, const char *name, size_t len,
                             const directory_person **out, size_t cap)
{
    if (!dir || !name) return 0;
    size_t found = 0;
    for (size_t i = 0; i < dir->npeople; i++) {
        const directory_person *p = &dir->people[i];
        int hit = name_eq(p->name, name, len);
        for (size_t k = 0; k < p->naliases && !hit; k++)
            hit = name_eq(p->aliases[k], name, len);
        if (!hit) continue;
        if (out && found < cap) out[found] = p;
        found++;
    }
    return found;
}

const directory_person *directory_person_by_openid(const directory *dir, const char *openid)
{
    if (!dir || !openid) return NULL;
    for (size_t i = 0; i < dir->npeople; i++)
        if (dir->people[i].openid && !strcmp(dir->people[i].openid, openid)) return &dir->people[i];
    return NULL;
}

const directory_receipt *directory_receipt_by_sha256(const directory *dir,
                                                     const unsigned char sha256[32])
{
    if (!dir || !sha256) return NULL;
    for (size_t i = 0; i < dir->nreceipts; i++)
        if (!memcmp(dir->receipts[i].sha256, sha256, 32)) return &dir->receipts[i];
    return NULL;
}

const directory_voice_note *directory_voice_note_by_sha256(const directory *dir,
                                                           const unsigned char sha256[32])
{
    if (!dir || !sha256) return NULL;
    for (size_t i = 0; i < dir->nvoice_notes; i++)
        if (!memcmp(dir->voice_notes[i].sha256, sha256, 32)) return &dir->voice_notes[i];
    return NULL;
}

const directory_order *directory_order_by_no(const directory *dir, const char *out_trade_no)
{
    if (!dir || !out_trade_no) return NULL;
    for (size_t i = 0; i < dir->norders; i++)
        if (dir->orders[i].out_trade_no && !strcmp(dir->orders[i].out_trade_no, out_trade_no))
            return &dir->orders[i];
    return NULL;
}
