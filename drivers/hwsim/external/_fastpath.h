/*
 * hwsim-mediumd's per-frame input path in C: a batch of datagrams read with
 * recvmmsg, a FRAME in the layout mac80211_hwsim_tx_frame_nl() builds parsed
 * in place, and, for a transmitter the daemon has marked steady (its radio
 * known, its station bound, its channel known, its addresses learned), the
 * frame handed straight to the medium kernel (med_tx_fields, called through
 * the pointer the kernel's own cffi module gives).  Everything else (other
 * messages, radios being learned, probe requests) is left to Python, which
 * stays the reference: fastpath.py says which transmitters are steady and
 * forgets them all whenever anything else happens.
 */
#ifndef HWSIM_FASTPATH_H
#define HWSIM_FASTPATH_H

#include <stdint.h>

/* fp_frame_in's answer when the datagram is not for the fast path */
#define FP_SLOW 0

struct fp_frame {
    uint32_t hw_off;      /* ADDR_TRANSMITTER: 6 octets at this offset */
    uint32_t frame_off;   /* FRAME's payload */
    uint32_t frame_len;
    uint32_t flags;       /* HWSIM_ATTR_FLAGS */
    uint32_t freq;        /* HWSIM_ATTR_FREQ */
    uint32_t radio;       /* the medium radio (port index) it was queued for */
    uint64_t cookie;
    uint8_t tx_info[8];   /* HWSIM_ATTR_TX_INFO as it came */
};

/* The last frame put on the medium: when, and whose.  One for the daemon, shared by
 * every peer's table and by the Python path, which reads and writes it too: a frame
 * of another radio at that very instant is Python's (it draws the backoff that keeps
 * the two from meeting head-on). */
struct fp_put {
    uint64_t ns;
    uint32_t station;
    uint32_t any; /* 0 until a frame has been put */
};

struct fp_table;

struct fp_table *fp_new(void);
void fp_free(struct fp_table *t);
/* The medium kernel and its med_tx_fields, both from the kernel's module. */
void fp_set_medium(struct fp_table *t, void *medium, void *med_tx_fields);
/* The daemon's mark of the last frame put (kept by the caller for the table's life). */
void fp_set_put(struct fp_table *t, struct fp_put *put);
/* Forget every steady transmitter, or one. */
void fp_clear(struct fp_table *t);
void fp_forget(struct fp_table *t, const uint8_t *hw);
uint32_t fp_count(struct fp_table *t);
/* Mark transmitter hw steady: its frames on `freq` from one of addr2s
 * (n2 addresses of 6 octets) go to medium radio `station`, heard on rx_freq.
 * 0, or -1 when the table or the address list is full. */
int fp_add(struct fp_table *t, const uint8_t *hw, uint32_t station, uint32_t freq, uint32_t rx_freq,
           const uint8_t *addr2s, uint32_t n2);

/* A datagram holding exactly one FRAME in the kernel's layout: 1 and *out
 * filled, else 0 (as genl.kernel_frame_fields decides). */
int fp_parse_frame(const uint8_t *d, uint32_t n, uint32_t family, struct fp_frame *out);

/* Parse, and for a steady transmitter's ordinary frame queue it on the
 * medium at now_ns: med_tx's answer (a frame id > 0, or -errno).  FP_SLOW
 * for anything Python must see (*out is then filled only if the datagram
 * parsed as a FRAME): beacons (Python draws their random delay) and a frame
 * arriving at the instant another radio's went on the medium (its backoff). */
int64_t fp_frame_in(struct fp_table *t, const uint8_t *d, uint32_t n, uint32_t family, uint64_t now_ns,
                    struct fp_frame *out);

/* Up to max datagrams from fd without blocking, datagram i at buf + i*slot,
 * its length in lens[i] (truncated ones are cut to slot).  The count (0 when
 * none is waiting), or -errno when the first read failed. */
int fp_recv(int fd, uint8_t *buf, uint32_t slot, uint32_t max, uint32_t *lens);

#endif
