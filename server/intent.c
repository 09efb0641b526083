#include "intent.h"

#include "json.h"

static cJSON *amount_json(int64_t total, const char *currency)
{
    cJSON *a = cJSON_CreateObject();
    json_add_int(a, "total", total);
    cJSON_AddStringToObject(a, "currency", currency);
    return a;
}

static cJSON *party_json(const model_person *p)
{
    cJSON *o = cJSON_CreateObject();
    if (p->openid[0])
        cJSON_AddStringToObject(o, "openid", p->openid);
    else
        cJSON_AddNullToObject(o, "openid");
    cJSON_AddStringToObject(o, "name", p->name);
    return o;
}

cJSON *intent_to_json(const model_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "type", model_intent_name(r->intent));
    /* Unknown parts are left out rather than null: a prefill shows what is known. */
    if (r->has_amount) cJSON_AddItemToObject(o, "amount", amount_json(r->total, r->currency));
    if (r->source_order) {
        cJSON *so = cJSON_AddObjectToObject(o, "source_order");
        cJSON_AddStringToObject(so, "out_trade_no", r->source_order->out_trade_no);
        cJSON_AddStringToObject(so, "description", r->source_order->description);
    }
    if (r->has_tip) {
        cJSON *tip = cJSON_AddObjectToObject(o, "tip");
        json_add_int(tip, "rate_bp", r->tip_rate_bp);
        cJSON_AddItemToObject(tip, "amount", amount_json(r->tip_amount, r->currency));
        if (r->tip_paid_by[0]) cJSON_AddStringToObject(tip, "paid_by", r->tip_paid_by);
    }
    if (r->category[0]) cJSON_AddStringToObject(o, "category", r->category);
    int split = r->intent == MODEL_INTENT_SPLIT_BILL;
    cJSON *list = cJSON_AddArrayToObject(o, split ? "splits" : "payees");
    for (size_t i = 0; i < r->npeople; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, split ? "payer" : "payee", party_json(&r->people[i]));
        cJSON_AddItemToObject(e, "amount", amount_json(r->people[i].amount, r->currency));
        cJSON_AddItemToArray(list, e);
    }
    return o;
}

cJSON *intent_questions_json(const model_question *qs, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *q = cJSON_CreateObject();
        cJSON_AddStringToObject(q, "id", qs[i].id);
        cJSON_AddStringToObject(q, "text", qs[i].text);
        if (qs[i].noptions) {
            cJSON *opts = cJSON_AddArrayToObject(q, "options");
            for (size_t j = 0; j < qs[i].noptions; j++) {
                cJSON *op = cJSON_CreateObject();
                cJSON_AddStringToObject(op, "id", qs[i].options[j].id);
                cJSON_AddStringToObject(op, "label", qs[i].options[j].label);
                cJSON_AddItemToArray(opts, op);
            }
        }
        cJSON_AddItemToArray(arr, q);
    }
    return arr;
}
