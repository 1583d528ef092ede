/*
 * Argument and value helpers shared by the binding's files. Argument
 * mistakes throw a TypeError: they are programming errors, not runtime
 * conditions.
 */
#ifndef TSM_NAPI_ARGS_H
#define TSM_NAPI_ARGS_H

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline bool args(napi_env env, napi_callback_info info, size_t want, napi_value *argv)
{
	size_t argc = want;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
		napi_throw_type_error(env, NULL, "tsmachine.node: too few arguments");
		return false;
	}
	return true;
}

static inline bool arg_int(napi_env env, napi_value v, int32_t *out)
{
	if (napi_get_value_int32(env, v, out) == napi_ok)
		return true;
	napi_throw_type_error(env, NULL, "tsmachine.node: expected a number");
	return false;
}

static inline bool arg_uint(napi_env env, napi_value v, uint32_t *out)
{
	if (napi_get_value_uint32(env, v, out) == napi_ok)
		return true;
	napi_throw_type_error(env, NULL, "tsmachine.node: expected an unsigned number");
	return false;
}

/* A JS string as a malloc'd C string; the caller frees it. NUL inside is refused. */
static inline char *arg_str(napi_env env, napi_value v)
{
	size_t len;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "tsmachine.node: expected a string");
		return NULL;
	}
	char *s = malloc(len + 1);
	if (!s) {
		napi_throw_error(env, NULL, "tsmachine.node: out of memory");
		return NULL;
	}
	napi_get_value_string_utf8(env, v, s, len + 1, &len);
	if (strlen(s) != len) {
		free(s);
		napi_throw_type_error(env, NULL, "tsmachine.node: string contains NUL");
		return NULL;
	}
	return s;
}

/* A Buffer or any Uint8Array (a Buffer is one). */
static inline bool arg_buf(napi_env env, napi_value v, void **data, size_t *len)
{
	bool is = false;
	napi_typedarray_type type;
	if (napi_is_typedarray(env, v, &is) == napi_ok && is &&
	    napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) == napi_ok && type == napi_uint8_array)
		return true;
	napi_throw_type_error(env, NULL, "tsmachine.node: expected a Buffer or Uint8Array");
	return false;
}

static inline napi_value num(napi_env env, int64_t n)
{
	napi_value v = NULL;
	napi_create_int64(env, n, &v);
	return v;
}

static inline napi_value undefined(napi_env env)
{
	napi_value v = NULL;
	napi_get_undefined(env, &v);
	return v;
}

#endif
