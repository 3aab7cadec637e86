/*
 * libsrtp 3 API (the part mediasoup's worker calls) on Debian's libsrtp 2.
 *
 * mediasoup builds against its fork of libsrtp 3.0.0-beta, which Debian does not ship. The
 * differences the worker meets are:
 *   - srtp_policy_t is an opaque object configured through setters (libsrtp 2: a public struct);
 *   - protect/unprotect take size_t lengths and a separate output buffer (libsrtp 2: in place,
 *     int lengths);
 *   - srtp_stream_remove (libsrtp 2: srtp_remove_stream);
 *   - two error codes that exist only in libsrtp 3.
 * libsrtp 2's header is included with its struct renamed to srtp2_policy_t; the libsrtp 3 names
 * are macros onto srtp3_on_srtp2.c. Every other name (srtp_t, srtp_ssrc_t, profiles, events,
 * srtp_init/shutdown, the profile key lengths) is the same in both and comes from libsrtp 2.
 */
#ifndef VAS_FRAME_EXPORT_SRTP3_ON_SRTP2_H
#define VAS_FRAME_EXPORT_SRTP3_ON_SRTP2_H

#include <stddef.h>
#include <stdint.h>

#define srtp_policy_t srtp2_policy_t
#include <srtp2/srtp.h>
#undef srtp_policy_t

#ifdef __cplusplus
extern "C" {
#endif

/* The libsrtp 3 policy handle. */
typedef struct ms_srtp3_policy *srtp_policy_t;

/* Error codes added by libsrtp 3 after srtp_err_status_pkt_idx_adv (27), same values. */
#define srtp_err_status_buffer_small ((srtp_err_status_t)28)
#define srtp_err_status_cryptex_err ((srtp_err_status_t)29)

srtp_err_status_t ms_srtp3_policy_create(srtp_policy_t *policy);
void ms_srtp3_policy_destroy(srtp_policy_t policy);
srtp_err_status_t ms_srtp3_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc);
srtp_err_status_t ms_srtp3_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile);
srtp_err_status_t ms_srtp3_policy_add_key(srtp_policy_t policy,
                                          const uint8_t *key,
                                          size_t key_len,
                                          const uint8_t *salt,
                                          size_t salt_len,
                                          const uint8_t *mki,
                                          size_t mki_len);
srtp_err_status_t ms_srtp3_policy_set_allow_repeat_tx(srtp_policy_t policy, int allow);
srtp_err_status_t ms_srtp3_policy_set_window_size(srtp_policy_t policy, size_t window_size);
srtp_err_status_t ms_srtp3_create(srtp_t *session, const srtp_policy_t policy);
srtp_err_status_t ms_srtp3_protect(srtp_t ctx,
                                   const uint8_t *rtp,
                                   size_t rtp_len,
                                   uint8_t *srtp,
                                   size_t *srtp_len,
                                   size_t mki_index);
srtp_err_status_t ms_srtp3_unprotect(srtp_t ctx,
                                     const uint8_t *srtp,
                                     size_t srtp_len,
                                     uint8_t *rtp,
                                     size_t *rtp_len);
srtp_err_status_t ms_srtp3_protect_rtcp(srtp_t ctx,
                                        const uint8_t *rtcp,
                                        size_t rtcp_len,
                                        uint8_t *srtcp,
                                        size_t *srtcp_len,
                                        size_t mki_index);
srtp_err_status_t ms_srtp3_unprotect_rtcp(srtp_t ctx,
                                          const uint8_t *srtcp,
                                          size_t srtcp_len,
                                          uint8_t *rtcp,
                                          size_t *rtcp_len);

#ifdef __cplusplus
}
#endif

/* srtp3_on_srtp2.c itself calls the libsrtp 2 functions of the same names. */
#ifndef MS_SRTP3_ON_SRTP2_IMPLEMENTATION
#define srtp_policy_create ms_srtp3_policy_create
#define srtp_policy_destroy ms_srtp3_policy_destroy
#define srtp_policy_set_ssrc ms_srtp3_policy_set_ssrc
#define srtp_policy_set_profile ms_srtp3_policy_set_profile
#define srtp_policy_add_key ms_srtp3_policy_add_key
#define srtp_policy_set_allow_repeat_tx ms_srtp3_policy_set_allow_repeat_tx
#define srtp_policy_set_window_size ms_srtp3_policy_set_window_size
#define srtp_create ms_srtp3_create
#define srtp_protect ms_srtp3_protect
#define srtp_unprotect ms_srtp3_unprotect
#define srtp_protect_rtcp ms_srtp3_protect_rtcp
#define srtp_unprotect_rtcp ms_srtp3_unprotect_rtcp
#define srtp_stream_remove srtp_remove_stream
#endif

#endif
