/* receipt: attachment checks and receipt recognition (see receipt.h). */
#include "receipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"

typedef struct mime {
    const char *type; /* "image" or "audio" */
    const char *name;
} mime;

static const mime mimes[] = {
    {"image", "image/jpeg"}, {"image", "image/png"},  {"image", "image/webp"},
    {"image", "image/gif"},  {"audio", "audio/mpeg"}, {"audio", "audio/wav"},
    {"audio", "audio/ogg"},  {"audio", "audio/mp4"},  {"audio", "audio/amr"},
};

static int starts(const unsigned char *d, size_t len, size_t at, const char *magic, size_t n)
{
    return len >= at + n && memcmp(d + at, magic, n) == 0;
}

int receipt_magic_ok(const char *m, const unsigned char *d, size_t len)
{
    if (!strcmp(m, "image/jpeg")) return starts(d, len, 0, "\xFF\xD8\xFF", 3);
    if (!strcmp(m, "image/png")) return starts(d, len, 0, "\x89PNG\r\n\x1A\n", 8);
    if (!strcmp(m, "image/webp"))
        return starts(d, len, 0, "RIFF", 4) && starts(d, len, 8, "WEBP", 4);
    if (!strcmp(m, "image/gif"))
        return starts(d, len, 0, "GIF87a", 6) || starts(d, len, 0, "GIF89a", 6);
    if (!strcmp(m, "audio/mpeg"))
        return starts(d, len, 0, "ID3", 3) || (len >= 2 && d[0] == 0xFF && (d[1] & 0xE0) == 0xE0);
    if (!strcmp(m, "audio/wav"))
        return starts(d, len, 0, "RIFF", 4) && starts(d, len, 8, "WAVE", 4);
    if (!strcmp(m, "audio/ogg")) return starts(d, len, 0, "OggS", 4);
    if (!strcmp(m, "audio/mp4")) return starts(d, len, 4, "ftyp", 4);
    if (!strcmp(m, "audio/amr")) return starts(d, len, 0, "#!AMR", 5);
    return 0;
}

static int fail(char *field, size_t fcap, char *issue, size_t icap, size_t i, const char *key,
                const char *msg)
{
    if (!key)
        snprintf(field, fcap, "/attachments");
    else
        snprintf(field, fcap, "/attachments/%zu%s%s", i, *key ? "/" : "", key);
    snprintf(issue, icap, "%s", msg);
    return -1;
}

int receipt_read(const cJSON *atts, const directory *dir, receipt_info *out, char *field,
                 size_t fcap, char *issue, size_t icap)
{
    const mime *kinds[RECEIPT_MAX_ATTACHMENTS];
    size_t lens[RECEIPT_MAX_ATTACHMENTS], total = 0, i = 0;
    char msg[160];
    memset(out, 0, sizeof *out);
    int n = cJSON_GetArraySize(atts);
    if (!cJSON_IsArray(atts) || n < 1 || n > RECEIPT_MAX_ATTACHMENTS)
        return fail(field, fcap, issue, icap, 0, NULL, "must be an array of 1 to 4 attachments");

    /* Shape, type and size of every attachment first: nothing is decoded for a bad request. */
    const cJSON *a;
    cJSON_ArrayForEach(a, atts)
    {
        if (!cJSON_IsObject(a))
            return fail(field, fcap, issue, icap, i, "",
                        "must be an object {type, mime_type, data}");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
        const cJSON *mt = cJSON_GetObjectItemCaseSensitive(a, "mime_type");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(a, "data");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(a, "name");
        if (!cJSON_IsString(type) ||
            (strcmp(type->valuestring, "image") && strcmp(type->valuestring, "audio")))
            return fail(field, fcap, issue, icap, i, "type", "must be \"image\" or \"audio\"");
        kinds[i] = NULL;
        for (size_t k = 0; cJSON_IsString(mt) && k < sizeof mimes / sizeof mimes[0]; k++)
            if (!strcmp(mimes[k].name, mt->valuestring) &&
                !strcmp(mimes[k].type, type->valuestring))
                kinds[i] = &mimes[k];
        if (!kinds[i]) {
            snprintf(msg, sizeof msg, "%s",
                     !strcmp(type->valuestring, "image")
                         ? "must be image/jpeg, image/png, image/webp or image/gif"
                         : "must be audio/mpeg, audio/wav, audio/ogg, audio/mp4 or audio/amr");
            return fail(field, fcap, issue, icap, i, "mime_type", msg);
        }
        if (name && !cJSON_IsNull(name) &&
            (!cJSON_IsString(name) || strlen(name->valuestring) > 255))
            return fail(field, fcap, issue, icap, i, "name",
                        "must be a string of at most 255 bytes");
        if (!cJSON_IsString(data) || !data->valuestring[0])
            return fail(field, fcap, issue, icap, i, "data", "required: the file in base64");
        size_t blen = strlen(data->valuestring);
        if (blen % 4)
            return fail(field, fcap, issue, icap, i, "data",
                        "must be padded base64 (RFC 4648, no line breaks)");
        lens[i] = blen / 4 * 3;
        total += lens[i];
        if (total > RECEIPT_MAX_DECODED) {
            snprintf(msg, sizeof msg, "attachments decode to more than %u bytes in all",
                     RECEIPT_MAX_DECODED);
            return fail(field, fcap, issue, icap, i, "data", msg);
        }
        i++;
    }

    i = 0;
    cJSON_ArrayForEach(a, atts)
    {
        const char *b64 = cJSON_GetObjectItemCaseSensitive(a, "data")->valuestring;
        unsigned char *buf = malloc(lens[i] ? lens[i] : 1), sha[32];
        size_t got = 0;
        unsigned int shalen = 0;
        if (!buf) return fail(field, fcap, issue, icap, i, "data", "out of memory");
        if (base64_decode(b64, strlen(b64), buf, lens[i], &got) != 0) {
            free(buf);
            return fail(field, fcap, issue, icap, i, "data",
                        "must be padded base64 (RFC 4648, no line breaks)");
        }
        if (!receipt_magic_ok(kinds[i]->name, buf, got)) {
            free(buf);
            snprintf(msg, sizeof msg, "the bytes are not %s", kinds[i]->name);
            return fail(field, fcap, issue, icap, i, "data", msg);
        }
        const directory_receipt *r = NULL;
        const directory_voice_note *vn = NULL;
        if (EVP_Digest(buf, got, sha, &shalen, EVP_sha256(), NULL) == 1 && shalen == 32) {
            r = directory_receipt_by_sha256(dir, sha);
            /* only a clip is heard: an image with a listed clip's bytes is not a voice note */
            if (!strcmp(kinds[i]->type, "audio")) vn = directory_voice_note_by_sha256(dir, sha);
        }
        free(buf);
        if (r) {
            out->recognised++;
            if (!out->order) out->order = r->order;
        }
        if (vn) {
            /* the same clip twice says it once */
            size_t k = 0;
            while (k < out->transcribed && out->transcripts[k] != vn->text)
                k++;
            if (k == out->transcribed && k < RECEIPT_MAX_ATTACHMENTS)
                out->transcripts[out->transcribed++] = vn->text;
        }
        if (!out->modality || !strcmp(kinds[i]->type, "image")) out->modality = kinds[i]->type;
        out->tokens += RECEIPT_BASE_TOKENS + (int64_t)((got + 1023) / 1024);
        out->decoded_bytes += got;
        i++;
    }
    out->count = i;
    return 0;
}
