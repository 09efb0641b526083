/* dsign: the signature headers the test doubles put on their answers, as the mock does,
 * with the demo merchant's key A (scenarios/default.yaml). */
#ifndef WXAI_DSIGN_H
#define WXAI_DSIGN_H

#include <stddef.h>

#define DSIGN_KEY_A "demo-key-A-0123456789abcdef0123456789"
#define DSIGN_SERIAL_A "KEY-2026-A"

/* "Wechatpay-Timestamp: ...\r\n" through "Wechatpay-Signature: ...\r\n" for body[len],
 * signed now with a fresh nonce, into out[cap] (cut short if it does not fit). */
void dsign_headers(const char *body, size_t len, char *out, size_t cap);

#endif
