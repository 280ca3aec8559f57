// Wrappers for OpenSSL function-like macros and SSL_OP_BIT() constants, which Swift cannot import.
#ifndef COPENSSL_SHIMS_H
#define COPENSSL_SHIMS_H
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

int cshim_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
int cshim_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version);
long cshim_SSL_CTX_set_mode(SSL_CTX *ctx, long mode);
uint64_t cshim_SSL_CTX_set_options(SSL_CTX *ctx, uint64_t options);
long cshim_SSL_set_tlsext_host_name(SSL *ssl, const char *name);
long cshim_BIO_set_mem_eof_return(BIO *bio, int value);
size_t cshim_BIO_pending(BIO *bio);
long cshim_SSL_CTX_set_ecdh_auto(SSL_CTX *ctx);
int cshim_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list);
int cshim_SSL_CTX_set_num_tickets(SSL_CTX *ctx, size_t n);

extern const uint64_t cshim_SSL_OP_NO_RENEGOTIATION;
extern const uint64_t cshim_SSL_OP_CIPHER_SERVER_PREFERENCE;
extern const uint64_t cshim_SSL_OP_NO_COMPRESSION;
extern const uint64_t cshim_SSL_OP_NO_TICKET;
extern const long cshim_SSL_MODE_RELEASE_BUFFERS;
extern const long cshim_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
extern const long cshim_SSL_MODE_ENABLE_PARTIAL_WRITE;

/// Drains the OpenSSL error queue of this thread into `buf` as one line; returns the length written.
size_t cshim_err_string(char *buf, size_t cap);

// STACK_OF(X509) helpers (the sk_X509_* functions are macros). Used by the PKI module for PKCS#12 export.
STACK_OF(X509) *cshim_sk_X509_new_null(void);
/// Pushes `cert` without taking a reference; the stack must be freed with `cshim_sk_X509_free` (not pop_free).
int cshim_sk_X509_push(STACK_OF(X509) *stack, X509 *cert);
void cshim_sk_X509_free(STACK_OF(X509) *stack);
/// Frees the stack and every certificate in it (for stacks OpenSSL handed over, e.g. from PKCS12_parse).
void cshim_sk_X509_pop_free(STACK_OF(X509) *stack);
int cshim_sk_X509_num(const STACK_OF(X509) *stack);

STACK_OF(X509_NAME) *cshim_sk_X509_NAME_new_null(void);

// STACK_OF(X509_REVOKED) readers, for CRL checking.
int cshim_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *stack);
X509_REVOKED *cshim_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *stack, int index);

#endif
