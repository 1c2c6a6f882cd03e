/*
 * The hwsim medium kernel: who receives a frame, when, how strong, and
 * whether it was acknowledged.  Frame bytes stay in Python; the kernel sees
 * one `med_txreq` of metadata per frame and answers with `med_event`s.
 *
 * Two modes.  PERFECT is mac80211_hwsim without a daemon: immediate
 * delivery to every other started radio on the same frequency and group,
 * signal -50 + tx power, ACK if a receiver owns addr1, one try at the first
 * rate.  MODELED is a discrete-event DCF/EDCA medium: per-link SNR (or
 * loss probability), fading, PER from a table of wmediumd's formula, carrier
 * sense, collisions by timing overlap judged by SINR at each receiver,
 * adjacent-channel leakage on 2.4 GHz, ACK frames with airtime, multi-rate
 * retry.  NAV (virtual carrier sense) is not modeled: RTS/CTS is not used.
 *
 * Every decision draws from one seeded xoshiro256** generator in a fixed
 * order, so a run is a function of (seed, calls).  drivers/hwsim/reference.py
 * implements the same decisions in Python; tests hold the two identical.
 *
 * Addresses are 48-bit values in a u64, first octet most significant
 * (int.from_bytes(mac, "big")); the group bit is bit 40.
 */
#ifndef HWSIM_MEDIUM_H
#define HWSIM_MEDIUM_H

#include <stdint.h>

#define MED_PERFECT 0
#define MED_MODELED 1

/* radio state */
#define MED_RADIO_STOPPED 0
#define MED_RADIO_STARTED 1
#define MED_RADIO_OFFCHAN 2 /* started, listening on tmp_freq */

/* receive filter flags */
#define MED_FIF_PROMISC 0x1     /* everything on the channel */
#define MED_FIF_BEACONS 0x2     /* beacons of other BSSes (scanning) */
#define MED_FIF_PROBE_REQ 0x4   /* group-addressed probe requests (AP, P2P) */
#define MED_FIF_ALLMULTI 0x8    /* every group-addressed frame */

/* address kinds in a radio's hash (a bit set) */
#define MED_ADDR_OWN 0x1
#define MED_ADDR_BSS 0x2

/* frame kinds the filter distinguishes */
#define MED_FT_OTHER 0
#define MED_FT_BEACON 1
#define MED_FT_PROBE_REQ 2

/* med_txreq.flags */
#define MED_TXF_NEEDS_ACK 0x1

/* access categories, mac80211 order: lower value = higher priority */
#define MED_AC_VO 0
#define MED_AC_VI 1
#define MED_AC_BE 2
#define MED_AC_BK 3

/* med_event.kind */
#define MED_EV_RX 1
#define MED_EV_STATUS 2

/* med_event.flags */
#define MED_RXF_RETRY 0x1   /* RX: a retransmission, Retry bit must be set */
#define MED_STF_ACKED 0x1   /* STATUS: acknowledged */
#define MED_STF_DROPPED 0x2 /* STATUS: dropped without (all) tries: radio stopped */

struct med_txreq {
    uint64_t addr1, addr2, addr3;
    uint64_t bssid;         /* BSSID the header names; 0 when it has none */
    uint32_t radio;
    uint32_t length;        /* bytes, without FCS */
    uint32_t freq;          /* MHz; 0 = the radio's current channel */
    uint8_t kind;           /* MED_FT_* */
    uint8_t flags;          /* MED_TXF_* */
    uint8_t ac;             /* MED_AC_* */
    int8_t rate_idx[4];     /* multi-rate retry chain, -1 ends */
    uint8_t rate_count[4];  /* tries per entry */
    uint16_t rate_flags[4]; /* hwsim_tx_rate_flags per entry (MCS, VHT_MCS, width, short GI) */
    uint32_t tag;           /* a beacon's elements, TIM aside, hashed (0: unknown); med_bf_set */
};

struct med_event {
    uint64_t time_ns;
    uint64_t frame_id;
    uint32_t kind;          /* MED_EV_* */
    uint32_t radio;         /* RX: receiver; STATUS: transmitter */
    int32_t signal;         /* RX: dBm; STATUS: ACK signal in dBm, 0 if none */
    uint32_t freq;          /* MHz the frame was sent on */
    uint8_t rate_idx;       /* RX: hwsim (legacy) rate index to report, an MCS's by its modulation */
    uint8_t flags;          /* MED_RXF_* / MED_STF_* */
    int8_t rates[4];        /* STATUS: the chain as requested */
    uint8_t tries[4];       /* STATUS: tries made per entry */
};

struct med_counters {
    uint64_t frames;        /* accepted by med_tx */
    uint64_t attempts;      /* transmissions on the air (incl. retries) */
    uint64_t retries;
    uint64_t acks;          /* ACK frames sent */
    uint64_t link_evals;    /* (frame, receiver) pairs on the channel and group */
    uint64_t filtered;      /* rejected by a receive filter */
    uint64_t deliveries;    /* RX events */
    uint64_t drops;         /* lost to PER without interference */
    uint64_t collisions;    /* lost with interference present */
    uint64_t halfduplex;    /* missed while transmitting */
    uint64_t queue_drops;   /* refused: queue full */
    uint64_t acked;
    uint64_t not_acked;
    uint64_t collided;      /* transmissions lost to interference at one receiver or more
                             * (collisions counts the receivers) */
    uint64_t rts;           /* RTS frames sent (an RTS/CTS exchange begun) */
    uint64_t cts;           /* CTS frames sent: answers to an RTS, and CTS-to-self */
    uint64_t navs;          /* radios that set their NAV from an RTS or CTS */
    uint64_t bcn_filtered;  /* beacons decoded and kept from their radio by its beacon filter */
};

struct medium;

struct medium *med_new(uint32_t mode, uint64_t seed);
void med_free(struct medium *m);
uint32_t med_mode(struct medium *m);

/* Physical and MAC parameters (MODELED). */
void med_set_params(struct medium *m, double noise_dbm, double cca_dbm, double fading_coef,
                    int interference);
/* table[22 * npts]: log(1 - Pu) at SNR = i * step_db (model.per_table): the 12
 * legacy rates, then MCS 0..9. */
int med_set_per_table(struct medium *m, const double *table, uint32_t npts, double step_db);

/* Radios: indices are dense and never reused. */
int med_add_radio(struct medium *m);
uint32_t med_num_radios(struct medium *m);
int med_set_radio(struct medium *m, uint32_t r, uint32_t state, uint32_t freq, uint32_t tmp_freq,
                  uint32_t group, uint32_t filter, int32_t txpower_dbm);
int med_addr_add(struct medium *m, uint32_t r, uint64_t addr, uint32_t kind);
/* Radio r's beacon filter, as a device with beacon filtering offload has
 * (Linux's IEEE80211_VIF_BEACON_FILTER): while on (on != 0), a beacon of
 * `bssid` that r decodes with the same tag and the same signal as the last
 * one it let through is counted (med_bf_count) instead of delivered; a
 * beacon with tag 0 always goes through.  pass_all lets every beacon
 * through while still remembering the last one.  Turning it on forgets
 * the last beacon, so the next one goes through. */
int med_bf_set(struct medium *m, uint32_t r, uint32_t on, uint64_t bssid, uint32_t pass_all);
/* Beacons radio r's filter kept back since the medium was made; *last_ns
 * (if not NULL) the time of the last of them, 0 if none. */
uint64_t med_bf_count(struct medium *m, uint32_t r, uint64_t *last_ns);
int med_addr_del(struct medium *m, uint32_t r, uint64_t addr, uint32_t kind);
int med_addr_has(struct medium *m, uint32_t r, uint64_t addr);
/*
 * Links are sparse: each transmitter keeps the receivers it has a link to,
 * sorted by index.  A pair without one (SNR <= SNR_NONE: below the hearing
 * threshold, or a certain loss) costs nothing on the frame path: no
 * reception, no carrier sense, no interference.
 *
 * med_set_row replaces transmitter `from`'s links: to[n] strictly
 * increasing receiver indices (not `from`), snr[n] in dB, loss[n] error
 * probabilities or NULL for none; entries with snr <= SNR_NONE are left out.
 */
int med_set_row(struct medium *m, uint32_t from, uint32_t n, const uint32_t *to, const double *snr,
                const double *loss);
/* snr[n*n] in dB, row = transmitter; loss[n*n] link error probability or NULL. */
int med_set_links(struct medium *m, const double *snr, const double *loss, uint32_t n);
/* One link; snr_db <= SNR_NONE removes it. */
int med_set_link(struct medium *m, uint32_t from, uint32_t to, double snr_db, double loss);
/* The link from -> to: 1 and *snr_db, *loss set, or 0 without one. */
int med_get_link(struct medium *m, uint32_t from, uint32_t to, double *snr_db, double *loss);
uint64_t med_num_links(struct medium *m);
/*
 * Spatial cells (optional): square cells of one side, a radio's given by
 * med_set_cell, and a reach in cells: the caller promises that two radios
 * whose cells are separated by a gap more than `reach` cells wide (the
 * nearest points of the two squares more than reach x side apart) never
 * have a receiver in common, one able to decode the first (SNR above the
 * decoding threshold) and linked to the second, and that neither decodes
 * the other.  Transmissions by such radios are then not looked at as each
 * other's interferers: the kernel keeps what is on the air indexed by
 * cell, and a new transmission visits only the cells within reach of its
 * sender's; the decisions are the same.  reach 0 turns cells off (every
 * transmission meets every other); more than MED_MAX_CELL_REACH is EINVAL.
 */
#define MED_MAX_CELL_REACH 64
int med_set_cell(struct medium *m, uint32_t r, int32_t cx, int32_t cy);
int med_set_cell_reach(struct medium *m, uint32_t reach);
/* Pairs of transmissions recorded as overlapping (each looked at as the
 * other's possible interferer) since the medium was made: the work cells
 * spare.  Not a decision, so not a counter the reference keeps. */
uint64_t med_num_overlaps(struct medium *m);

/* Queue one frame at time now_ns; returns its id (> 0) or -errno. */
int64_t med_tx(struct medium *m, const struct med_txreq *req, uint64_t now_ns);
/* med_tx with the request's fields as arguments (one call from Python):
 * rate_idx and rate_count hold the four chain entries, one octet each,
 * entry k in bits 8k..8k+7; rate_flags their flags, entry k in bits 16k..16k+15. */
int64_t med_tx_fields(struct medium *m, uint32_t radio, uint32_t length, uint64_t addr1, uint64_t addr2,
                      uint64_t addr3, uint64_t bssid, uint32_t freq, uint32_t kind, uint32_t flags,
                      uint32_t ac, uint32_t rate_idx, uint32_t rate_count, uint64_t rate_flags,
                      uint32_t tag, uint64_t now_ns);
/* Time of the next internal event that does anything, UINT64_MAX if none
 * (backoff expiries made stale by a freeze are discarded). */
uint64_t med_next_time(struct medium *m);
/* Process every internal event at or before until_ns. */
void med_run(struct medium *m, uint64_t until_ns);
/* Process the internal events at or before until_ns one instant at a time,
 * stopping after the first instant that produced output events.  For a
 * caller that knows nothing else happens before until_ns: it then needs to
 * come back only at med_now() to take the output.  Returns how many
 * instants ran. */
uint32_t med_run_ahead(struct medium *m, uint64_t until_ns);
/* The kernel's clock: the last instant it processed or was told about. */
uint64_t med_now(struct medium *m);
/* Move up to cap pending output events into out; returns how many. */
uint32_t med_pop_events(struct medium *m, struct med_event *out, uint32_t cap);
uint32_t med_pending_events(struct medium *m);
void med_get_counters(struct medium *m, struct med_counters *out);

/* Helpers shared with Python for cross-checking. */
uint64_t med_airtime_ns(uint32_t tidx, uint32_t length_with_fcs);
uint64_t med_prng_next(struct medium *m);

#endif
