#include "copenssl_shims.h"
#include <openssl/err.h>
#include <string.h>
#include <stdio.h>

int cshim_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) { return (int)SSL_CTX_set_min_proto_version(ctx, version); }
int cshim_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) { return (int)SSL_CTX_set_max_proto_version(ctx, version); }
long cshim_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
uint64_t cshim_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t options) { return SSL_CTX_set_options(ctx, options); }
long cshim_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
long cshim_BIO_set_mem_eof_return(BIO *bio, int value) { return BIO_set_mem_eof_return(bio, value); }
size_t cshim_BIO_pending(BIO *bio) { return (size_t)BIO_pending(bio); }
long cshim_SSL_CTX_set_ecdh_auto(SSL_CTX *ctx) { (void)ctx; return 1; }
int cshim_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) { return (int)SSL_CTX_set1_groups_list(ctx, list); }
int cshim_SSL_CTX_set_num_tickets(SSL_CTX *ctx, size_t n) { return SSL_CTX_set_num_tickets(ctx, n); }

const uint64_t cshim_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
const uint64_t cshim_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
const uint64_t cshim_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
const uint64_t cshim_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
const long cshim_SSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
const long cshim_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
const long cshim_SSL_MODE_ENABLE_PARTIAL_WRITE = SSL_MODE_ENABLE_PARTIAL_WRITE;

size_t cshim_err_string(char *buf, size_t cap) {
    size_t used = 0;
    unsigned long e;
    if (cap == 0) return 0;
    buf[0] = 0;
    while ((e = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof one);
        size_t n = strlen(one);
        if (used + n + 2 >= cap) continue;
        if (used) { buf[used++] = ';'; buf[used++] = ' '; }
        memcpy(buf + used, one, n);
        used += n;
        buf[used] = 0;
    }
    return used;
}

STACK_OF(X509) *cshim_sk_X509_new_null(void) { return sk_X509_new_null(); }
int cshim_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
void cshim_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
void cshim_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }
int cshim_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
STACK_OF(X509_NAME) *cshim_sk_X509_NAME_new_null(void) { return sk_X509_NAME_new_null(); }
int cshim_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *stack) { return sk_X509_REVOKED_num(stack); }
X509_REVOKED *cshim_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *stack, int index) {
    return sk_X509_REVOKED_value(stack, index);
}
