/* The bus client's socket (socket.c). */
#ifndef TSM_ADDON_SOCKET_H
#define TSM_ADDON_SOCKET_H

#include <node_api.h>

napi_value js_unix_connect(napi_env env, napi_callback_info info);
napi_value js_send_all(napi_env env, napi_callback_info info);
napi_value js_start_reader(napi_env env, napi_callback_info info);
napi_value js_ref_reader(napi_env env, napi_callback_info info);
napi_value js_shutdown_socket(napi_env env, napi_callback_info info);

#endif
