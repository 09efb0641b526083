/* intent: the contract's payment-intent object built from a model result. */
#ifndef WXAI_INTENT_H
#define WXAI_INTENT_H

#include <cjson/cJSON.h>

#include "model.h"

/* New intent object for r (caller owns it: cJSON_Delete). NULL on ENOMEM.
 * split_bill lists "splits" (payers); other intents list "payees". */
cJSON *intent_to_json(const model_result *r);
/* New question list in the contract's shape for the model's questions. */
cJSON *intent_questions_json(const model_question *qs, size_t n);

#endif
