/*
 * The libsrtp 3 calls of mediasoup's worker, on Debian's libsrtp 2 (see include/srtp.h).
 *
 * Correctness notes:
 *   - libsrtp 2 protects in place and may append up to SRTP_MAX_TRAILER_LEN bytes, so protect
 *     copies the input into the caller's output buffer first and refuses an output buffer that
 *     cannot hold the trailer (srtp_err_status_buffer_small, as libsrtp 3 does);
 *   - lengths cross from size_t to libsrtp 2's int: anything above INT_MAX is refused;
 *   - the policy keeps its own copy of key and salt (libsrtp 2 reads the concatenated master
 *     key + salt through policy.key during srtp_create, which copies it into the session);
 *   - MKI is not supported (mediasoup passes none).
 */
#define MS_SRTP3_ON_SRTP2_IMPLEMENTATION 1
#include "srtp.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct ms_srtp3_policy
{
	srtp2_policy_t policy;
	/* Master key followed by master salt, as libsrtp 2 expects them in policy.key. */
	unsigned char key_and_salt[SRTP_MAX_KEY_LEN];
};

srtp_err_status_t ms_srtp3_policy_create(srtp_policy_t *policy)
{
	if (policy == NULL)
		return srtp_err_status_bad_param;
	*policy = calloc(1, sizeof(struct ms_srtp3_policy));
	if (*policy == NULL)
		return srtp_err_status_alloc_fail;
	(*policy)->policy.key = (*policy)->key_and_salt;
	return srtp_err_status_ok;
}

void ms_srtp3_policy_destroy(srtp_policy_t policy)
{
	if (policy == NULL)
		return;
	memset(policy->key_and_salt, 0, sizeof(policy->key_and_salt));
	free(policy);
}

srtp_err_status_t ms_srtp3_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc)
{
	if (policy == NULL)
		return srtp_err_status_bad_param;
	policy->policy.ssrc = ssrc;
	return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile)
{
	srtp_err_status_t err;

	if (policy == NULL)
		return srtp_err_status_bad_param;
	err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->policy.rtp, profile);
	if (err != srtp_err_status_ok)
		return err;
	return srtp_crypto_policy_set_from_profile_for_rtcp(&policy->policy.rtcp, profile);
}

srtp_err_status_t ms_srtp3_policy_add_key(srtp_policy_t policy,
                                          const uint8_t *key,
                                          size_t key_len,
                                          const uint8_t *salt,
                                          size_t salt_len,
                                          const uint8_t *mki,
                                          size_t mki_len)
{
	(void)mki;
	if (policy == NULL || key == NULL || (salt == NULL && salt_len != 0))
		return srtp_err_status_bad_param;
	if (mki_len != 0)
		return srtp_err_status_bad_param;
	if (key_len > SRTP_MAX_KEY_LEN || salt_len > SRTP_MAX_KEY_LEN - key_len)
		return srtp_err_status_bad_param;
	memcpy(policy->key_and_salt, key, key_len);
	if (salt_len != 0)
		memcpy(policy->key_and_salt + key_len, salt, salt_len);
	return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_policy_set_allow_repeat_tx(srtp_policy_t policy, int allow)
{
	if (policy == NULL)
		return srtp_err_status_bad_param;
	policy->policy.allow_repeat_tx = allow ? 1 : 0;
	return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_policy_set_window_size(srtp_policy_t policy, size_t window_size)
{
	if (policy == NULL)
		return srtp_err_status_bad_param;
	policy->policy.window_size = (unsigned long)window_size;
	return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_create(srtp_t *session, const srtp_policy_t policy)
{
	if (policy == NULL)
		return srtp_err_status_bad_param;
	return srtp_create(session, &policy->policy);
}

/* libsrtp 2 writes up to SRTP_MAX_TRAILER_LEN + 4 (the SRTCP index) after an RTCP packet. */
#define SRTCP_TRAILER_LEN (SRTP_MAX_TRAILER_LEN + 4)

typedef srtp_err_status_t (*srtp2_in_place_fn)(srtp_t ctx, void *hdr, int *len);

/* Copies in into out (unless they are the same buffer) and runs the libsrtp 2 call in place. */
static srtp_err_status_t run_in_place(srtp2_in_place_fn fn,
                                      srtp_t ctx,
                                      const uint8_t *in,
                                      size_t in_len,
                                      uint8_t *out,
                                      size_t *out_len,
                                      size_t needed)
{
	int len;
	srtp_err_status_t err;

	if (in == NULL || out == NULL || out_len == NULL)
		return srtp_err_status_bad_param;
	if (in_len > INT_MAX - SRTCP_TRAILER_LEN)
		return srtp_err_status_bad_param;
	if (*out_len < needed)
		return srtp_err_status_buffer_small;
	if (out != in)
		memmove(out, in, in_len);
	len = (int)in_len;
	err = fn(ctx, out, &len);
	if (err != srtp_err_status_ok)
		return err;
	*out_len = (size_t)len;
	return srtp_err_status_ok;
}

srtp_err_status_t ms_srtp3_protect(srtp_t ctx,
                                   const uint8_t *rtp,
                                   size_t rtp_len,
                                   uint8_t *srtp,
                                   size_t *srtp_len,
                                   size_t mki_index)
{
	if (mki_index != 0)
		return srtp_err_status_bad_mki;
	return run_in_place(srtp_protect, ctx, rtp, rtp_len, srtp, srtp_len, rtp_len + SRTP_MAX_TRAILER_LEN);
}

srtp_err_status_t ms_srtp3_unprotect(srtp_t ctx,
                                     const uint8_t *srtp,
                                     size_t srtp_len,
                                     uint8_t *rtp,
                                     size_t *rtp_len)
{
	return run_in_place(srtp_unprotect, ctx, srtp, srtp_len, rtp, rtp_len, srtp_len);
}

srtp_err_status_t ms_srtp3_protect_rtcp(srtp_t ctx,
                                        const uint8_t *rtcp,
                                        size_t rtcp_len,
                                        uint8_t *srtcp,
                                        size_t *srtcp_len,
                                        size_t mki_index)
{
	if (mki_index != 0)
		return srtp_err_status_bad_mki;
	return run_in_place(
	  srtp_protect_rtcp, ctx, rtcp, rtcp_len, srtcp, srtcp_len, rtcp_len + SRTCP_TRAILER_LEN);
}

srtp_err_status_t ms_srtp3_unprotect_rtcp(srtp_t ctx,
                                          const uint8_t *srtcp,
                                          size_t srtcp_len,
                                          uint8_t *rtcp,
                                          size_t *rtcp_len)
{
	return run_in_place(srtp_unprotect_rtcp, ctx, srtcp, srtcp_len, rtcp, rtcp_len, srtcp_len);
}
