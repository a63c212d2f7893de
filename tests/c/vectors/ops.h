/*
 * The operations of the vector format (README.md, "Operations"): one table
 * that drives both validation and execution. Each operation's run function
 * calls the core once and fills in the call's status and result.
 */
#ifndef SM_VECTORS_OPS_H
#define SM_VECTORS_OPS_H

#include "securememory.h"
#include "vectors.h"

#define OP_MAX_ARGS 4

typedef enum arg_type {
    ARG_SIZE,   /* a size spec */
    ARG_DATA,   /* a data spec */
    ARG_KIND,   /* "PROTECTED" or "ENCLAVE" */
    ARG_BOOL,   /* true / false */
    ARG_INT,    /* any integer */
    ARG_BUFFER, /* the name of a buffer handle */
} arg_type;

typedef enum result_type {
    RES_NONE,
    RES_BYTES,
    RES_INT,
    RES_BOOL,
    RES_NAME,
} result_type;

typedef struct arg_def {
    const char *name;
    arg_type type;
    int required;
} arg_def;

/* An argument after evaluation; only the field of its type is set. */
typedef struct arg_value {
    int present;
    size_t size;
    bytes data;
    sm_kind kind;
    int boolean;
    int64_t integer;
    void *object; /* ARG_BUFFER */
} arg_value;

/* One execution of an operation. */
typedef struct call {
    void *target;                   /* the object named by "on", if any */
    unsigned long *target_acquires; /* open accesses of a target secret */
    arg_value arg[OP_MAX_ARGS];     /* in the order of op_def.args */
    sm_status status;               /* out */
    void *created;                  /* out: the new object when status is SM_OK */
    bytes result;                   /* out: RES_BYTES (empty when not set) */
    int64_t int_value;              /* out: RES_INT, RES_BOOL */
    const char *name_value;         /* out: RES_NAME */
} call;

/* Runs the operation: 0, or -1 when the vector asks for something unsafe. */
typedef int (*op_fn)(call *c, diag *d);

typedef struct op_def {
    const char *name;
    obj_type target;  /* the type "on" must name, OBJ_NONE: no "on" */
    obj_type creates; /* the type bound by "as", OBJ_NONE: creates nothing */
    result_type result;
    int wipes_data; /* the "data" argument is caller memory the call wipes */
    int core_only;  /* only in scenarios that require "core" */
    arg_def args[OP_MAX_ARGS];
    op_fn run;
} op_def;

/* The operation called name, or NULL. */
const op_def *op_find(const char *name);

/* The tables of each area, terminated by an entry with a NULL name. */
extern const op_def ops_library[];
extern const op_def ops_secret[];
extern const op_def ops_buffer[];
extern const op_def ops_enclave[];
extern const op_def ops_stream[];
extern const op_def ops_aead[];

/* Copies len bytes from p into c->result. */
int op_set_result(call *c, const void *p, size_t len, diag *d);

/* Status names from the README (not from the core), protection and kind names. */
int op_status_from_name(const char *name, sm_status *out);
const char *op_status_name(sm_status status);
const char *op_prot_name(sm_prot prot);
const char *op_kind_name(sm_kind kind);
int op_kind_from_name(const char *name, sm_kind *out);

#endif
