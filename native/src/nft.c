/*
 * nftables through libnftables, the library the nft binary is a thin wrapper
 * of (src/kernel/addon.ts's nftRunInProcess, src/network/nft-run.ts): one
 * exec of nft per batch would cost more than the rest of a container's
 * network setup. Opened with dlopen on first use, because Debian's nftables
 * package (which brings libnftables1) may be absent: then the caller runs
 * the nft binary, or says to install nftables.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"

static struct {
	int state; /* 0 not tried, 1 loaded, -1 unavailable */
	void *(*ctx_new)(uint32_t);
	void (*ctx_free)(void *);
	void (*set_output_flags)(void *, unsigned int);
	int (*buffer_output)(void *);
	int (*buffer_error)(void *);
	const char *(*get_output)(void *);
	const char *(*get_error)(void *);
	int (*run)(void *, const char *);
} nft;

static int nft_load(void)
{
	if (nft.state)
		return nft.state > 0;
	const struct tsm_dlsym syms[] = {
		{"nft_ctx_new", &nft.ctx_new},
		{"nft_ctx_free", &nft.ctx_free},
		{"nft_ctx_output_set_flags", &nft.set_output_flags},
		{"nft_ctx_buffer_output", &nft.buffer_output},
		{"nft_ctx_buffer_error", &nft.buffer_error},
		{"nft_ctx_get_output_buffer", &nft.get_output},
		{"nft_ctx_get_error_buffer", &nft.get_error},
		{"nft_run_cmd_from_buffer", &nft.run},
	};
	nft.state = tsm_dlsyms("libnftables.so.1", syms, sizeof(syms) / sizeof(syms[0])) ? 1 : -1;
	return nft.state > 0;
}

#define NFT_CTX_DEFAULT 0
#define NFT_CTX_OUTPUT_JSON (1 << 4)

/* A fresh context per call: its buffers then hold this call's text only. */
int tsm_nft_run(const char *commands, int json, char **out, char **err)
{
	*out = *err = NULL;
	void *ctx = nft_load() ? nft.ctx_new(NFT_CTX_DEFAULT) : NULL;
	if (!ctx)
		return -ENOENT;
	if (json)
		nft.set_output_flags(ctx, NFT_CTX_OUTPUT_JSON);
	nft.buffer_output(ctx);
	nft.buffer_error(ctx);
	int rc = nft.run(ctx, commands);
	const char *o = nft.get_output(ctx), *e = nft.get_error(ctx);
	*out = strdup(o ? o : "");
	*err = strdup(e ? e : "");
	nft.ctx_free(ctx);
	if (!*out || !*err) {
		free(*out);
		free(*err);
		*out = *err = NULL;
		return -ENOMEM;
	}
	return rc == 0 ? 0 : 1;
}
