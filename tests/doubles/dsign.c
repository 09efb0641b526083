/* dsign: signature headers for the test doubles (see dsign.h). */
#include "dsign.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ident.h"
#include "sign.h"

void dsign_headers(const char *body, size_t len, char *out, size_t cap)
{
    char nonce[IDENT_NONCE_LEN], ts[24], sig[SIGN_B64_LEN];
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    ident_nonce(nonce, sizeof nonce);
    sign_response(DSIGN_KEY_A, strlen(DSIGN_KEY_A), ts, nonce, body, len, sig, sizeof sig);
    snprintf(out, cap,
             "Wechatpay-Timestamp: %s\r\nWechatpay-Nonce: %s\r\nWechatpay-Serial: %s\r\n"
             "Wechatpay-Signature: %s\r\n",
             ts, nonce, DSIGN_SERIAL_A, sig);
}
