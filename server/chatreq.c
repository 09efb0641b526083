/* chatreq: a /v1/chat/completions body checked as OpenAI checks it (see chatreq.h). */
#include "chatreq.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json.h"

#define MAX_MESSAGES 2048

static int bad_request(http_req *req, const char *code, const char *param, const char *msg)
{
    return chat_error(req, 400, "invalid_request_error", code, param, "%s", msg);
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "null";
}

static int invalid_type(http_req *req, const char *param, const char *want, const cJSON *got)
{
    char msg[256];
    snprintf(msg, sizeof msg, "Invalid type for '%s': expected %s, but got %s instead.", param,
             want, type_name(got));
    return bad_request(req, "invalid_type", param, msg);
}

static int missing(http_req *req, const char *param)
{
    char msg[160];
    snprintf(msg, sizeof msg, "Missing required parameter: '%s'.", param);
    return bad_request(req, "missing_required_parameter", param, msg);
}

/* 0 with *at the place of v among the n allowed values, or -1 after a 400 that lists them
 * as OpenAI does ("'a', 'b', and 'c'"). */
static int one_of(http_req *req, const char *param, const char *v, const char *const *allowed,
                  size_t n, size_t *at)
{
    for (*at = 0; *at < n; (*at)++)
        if (!strcmp(allowed[*at], v)) return 0;
    char msg[256];
    size_t len =
        (size_t)snprintf(msg, sizeof msg, "Invalid value: '%.64s'. Supported values are: ", v);
    for (size_t k = 0; k < n && len < sizeof msg; k++)
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s'%s'",
                                k == 0      ? ""
                                : k + 1 < n ? ", "
                                            : ", and ",
                                allowed[k]);
    if (len < sizeof msg) snprintf(msg + len, sizeof msg - len, ".");
    return bad_request(req, "invalid_value", param, msg);
}

static int has_json(const char *s)
{
    for (; s && *s; s++)
        if (strncasecmp(s, "json", 4) == 0) return 1;
    return 0;
}

static int contains_json_word(const cJSON *messages)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, messages)
    {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content"), *part;
        if (cJSON_IsString(content) && has_json(content->valuestring)) return 1;
        if (!cJSON_IsArray(content)) continue;
        cJSON_ArrayForEach(part, content)
        {
            const char *t = json_string(part, "text");
            if (has_json(t)) return 1;
        }
    }
    return 0;
}

static int check_message(http_req *req, const cJSON *m, int i)
{
    static const char *const roles[] = {"system",    "developer", "user",
                                        "assistant", "tool",      "function"};
    static const char *const parts[] = {"text", "image_url", "input_audio", "file", "refusal"};
    char p[96];
    snprintf(p, sizeof p, "messages[%d]", i);
    if (!cJSON_IsObject(m)) return invalid_type(req, p, "an object", m);
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    snprintf(p, sizeof p, "messages[%d].role", i);
    if (!role) return missing(req, p);
    if (!cJSON_IsString(role)) return invalid_type(req, p, "a string", role);
    size_t r;
    if (one_of(req, p, role->valuestring, roles, sizeof roles / sizeof roles[0], &r)) return -1;
    snprintf(p, sizeof p, "messages[%d].content", i);
    int may_be_empty = !strcmp(role->valuestring, "assistant");
    if (!content || cJSON_IsNull(content)) return may_be_empty ? 0 : missing(req, p);
    if (cJSON_IsString(content)) return 0;
    if (!cJSON_IsArray(content)) return invalid_type(req, p, "a string or an array", content);
    int j = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
        snprintf(p, sizeof p, "messages[%d].content[%d]", i, j);
        if (!cJSON_IsObject(part)) return invalid_type(req, p, "an object", part);
        snprintf(p, sizeof p, "messages[%d].content[%d].type", i, j);
        if (!cJSON_IsString(type))
            return type ? invalid_type(req, p, "a string", type) : missing(req, p);
        size_t k;
        if (one_of(req, p, type->valuestring, parts, sizeof parts / sizeof parts[0], &k)) return -1;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        snprintf(p, sizeof p, "messages[%d].content[%d].text", i, j);
        if (k == 0 && !cJSON_IsString(t))
            return t ? invalid_type(req, p, "a string", t) : missing(req, p);
        j++;
    }
    return 0;
}

static int check_number(http_req *req, const cJSON *body, const char *name, double lo, double hi)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    char msg[160];
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v)) return invalid_type(req, name, "a number", v);
    if (v->valuedouble < lo || v->valuedouble > hi) {
        snprintf(msg, sizeof msg,
                 "Invalid '%s': expected a value from %g to %g, but got %g instead.", name, lo, hi,
                 v->valuedouble);
        return bad_request(req, "invalid_value", name, msg);
    }
    return 0;
}

/* 0 with *out (0 when absent), or -1 after answering 400. */
static int get_count(http_req *req, const cJSON *body, const char *name, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    char msg[160];
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
        return invalid_type(req, name, "an integer", v);
    if (v->valuedouble < 1 || v->valuedouble > 1e9) {
        snprintf(msg, sizeof msg,
                 "Invalid '%s': integer below minimum value. Expected a value >= 1, "
                 "but got %.0f instead.",
                 name, v->valuedouble);
        return bad_request(req, "integer_below_min_value", name, msg);
    }
    *out = (int64_t)v->valuedouble;
    return 0;
}

int chatreq_parse(http_req *req, const chat_config *cfg, cJSON **json, chatreq *r)
{
    size_t off = 0;
    char msg[256];
    if (!json_is_media_type(http_header(req, "Content-Type")))
        return chat_error(req, 415, "invalid_request_error", NULL, NULL,
                          "Unsupported content type: send Content-Type: application/json.");
    int jr = json_parse(req->body ? req->body : "", req->body_len, JSON_MAX_DEPTH, json, &off);
    if (jr != JSON_OK) {
        snprintf(msg, sizeof msg,
                 jr == JSON_EDEPTH ? "We could not parse the JSON body of your request: nested "
                                     "deeper than 32 levels (at byte %zu)."
                                   : "We could not parse the JSON body of your request (error at "
                                     "byte %zu). The OpenAI API expects a JSON payload.",
                 off);
        return bad_request(req, NULL, NULL, msg);
    }
    const cJSON *body = *json;
    if (!cJSON_IsObject(body)) return invalid_type(req, "body", "an object", body);

    const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (!model) return bad_request(req, NULL, "model", "you must provide a model parameter");
    if (!cJSON_IsString(model)) return invalid_type(req, "model", "a string", model);
    r->model_id = model->valuestring;

    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(body, "messages");
    if (!messages) return missing(req, "messages");
    if (!cJSON_IsArray(messages)) return invalid_type(req, "messages", "an array", messages);
    int nmsg = cJSON_GetArraySize(messages);
    if (nmsg == 0)
        return bad_request(req, "empty_array", "messages",
                           "Invalid 'messages': empty array. Expected an array with minimum length "
                           "1, but got an empty array instead.");
    if (nmsg > MAX_MESSAGES)
        return bad_request(req, "array_above_max_length", "messages",
                           "Invalid 'messages': array too long. Expected an array with maximum "
                           "length 2048.");
    int i = 0;
    const cJSON *m, *last_user = NULL;
    cJSON_ArrayForEach(m, messages)
    {
        if (check_message(req, m, i++) != 0) return -1;
        const char *role = json_string(m, "role");
        if (!strcmp(role, "user")) last_user = m;
    }
    r->messages = messages;

    const cJSON *stream = cJSON_GetObjectItemCaseSensitive(body, "stream");
    if (stream && !cJSON_IsNull(stream) && !cJSON_IsBool(stream))
        return invalid_type(req, "stream", "a boolean", stream);
    r->stream = cJSON_IsTrue(stream);
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(body, "stream_options");
    if (so && !cJSON_IsNull(so)) {
        if (!r->stream)
            return bad_request(req, "invalid_value", "stream_options",
                               "The 'stream_options' parameter is only allowed when 'stream' is "
                               "enabled.");
        if (!cJSON_IsObject(so)) return invalid_type(req, "stream_options", "an object", so);
        const cJSON *iu = cJSON_GetObjectItemCaseSensitive(so, "include_usage");
        if (iu && !cJSON_IsNull(iu) && !cJSON_IsBool(iu))
            return invalid_type(req, "stream_options.include_usage", "a boolean", iu);
        r->include_usage = cJSON_IsTrue(iu);
    }
    if (check_number(req, body, "temperature", 0, 2) || check_number(req, body, "top_p", 0, 1) ||
        check_number(req, body, "presence_penalty", -2, 2) ||
        check_number(req, body, "frequency_penalty", -2, 2))
        return -1;
    int64_t n = 0, mt = 0, mct = 0;
    if (get_count(req, body, "n", &n) || get_count(req, body, "max_tokens", &mt) ||
        get_count(req, body, "max_completion_tokens", &mct))
        return -1;
    if (n > 1) return bad_request(req, "invalid_value", "n", "wxai-mock answers with n = 1 only.");
    r->max_tokens = mct ? mct : mt;

    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(body, "response_format");
    if (rf && !cJSON_IsNull(rf)) {
        if (!cJSON_IsObject(rf)) return invalid_type(req, "response_format", "an object", rf);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(rf, "type");
        if (!t) return missing(req, "response_format.type");
        if (!cJSON_IsString(t)) return invalid_type(req, "response_format.type", "a string", t);
        static const char *const formats[] = {"text", "json_object", "json_schema"};
        size_t f;
        if (one_of(req, "response_format.type", t->valuestring, formats, 3, &f)) return -1;
        if (f > 0) r->json_mode = 1; /* json_object or json_schema */
        if (!strcmp(t->valuestring, "json_object") && !contains_json_word(messages))
            return bad_request(req, NULL, "messages",
                               "'messages' must contain the word 'json' in some form, to use "
                               "'response_format' of type 'json_object'.");
    }
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(body, "user");
    if (user && !cJSON_IsNull(user) && !cJSON_IsString(user))
        return invalid_type(req, "user", "a string", user);
    r->user = cJSON_IsString(user) && strlen(user->valuestring) < 64 ? user->valuestring : NULL;

    if (!(r->model = chat_model_find(cfg, r->model_id)))
        return chat_error(req, 404, "invalid_request_error", "model_not_found", NULL,
                          "The model `%.128s` does not exist or you do not have access to it.",
                          r->model_id);
    if (last_user) {
        r->has_user = 1;
        chat_content_text(cJSON_GetObjectItemCaseSensitive(last_user, "content"), r->text,
                          sizeof r->text, &r->len);
    }
    return 0;
}
