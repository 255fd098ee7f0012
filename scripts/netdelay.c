/*
 * Holds every packet of one NFQUEUE queue for a fixed delay, then lets it through (or drops a
 * share of them): a slow, lossy link for scripts/netlab on a kernel without the netem qdisc.
 * Written by hand: no Debian package delays packets through NFQUEUE; libnetfilter_queue does
 * the kernel side.
 *
 *   netdelay QUEUE DELAY_MICROSECONDS [LOSS_PERCENT]
 *
 * Packets leave in the order they came, each DELAY after its arrival. SIGTERM or SIGINT lets
 * every held packet through and exits. Pair it with `-j NFQUEUE --queue-bypass` rules, so that
 * traffic flows undelayed rather than stops while no netdelay listens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define CAPACITY 65536

static uint32_t held_ids[CAPACITY];
static uint64_t held_until[CAPACITY];
static int held_verdicts[CAPACITY];
static size_t head, count;
static uint64_t delay_ns;
static double loss_percent;
static volatile sig_atomic_t stopping;

static uint64_t now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void stop(int signal_number) {
    (void)signal_number;
    stopping = 1;
}

/* Called for each queued packet: holds it, or lets it through at once when the hold is full. */
static int hold(struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *packet, void *data) {
    (void)message;
    (void)data;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(packet);
    if (header == NULL) return 0;
    uint32_t id = ntohl(header->packet_id);
    int verdict = loss_percent > 0 && drand48() * 100 < loss_percent ? NF_DROP : NF_ACCEPT;
    if (count == CAPACITY) return nfq_set_verdict(queue, id, verdict, 0, NULL);
    size_t slot = (head + count) % CAPACITY;
    held_ids[slot] = id;
    held_until[slot] = now_ns() + delay_ns;
    held_verdicts[slot] = verdict;
    count++;
    return 0;
}

/* Lets through every held packet due by `now` (all of them when `now` is UINT64_MAX). */
static void release(struct nfq_q_handle *queue, uint64_t now) {
    while (count > 0 && held_until[head] <= now) {
        nfq_set_verdict(queue, held_ids[head], held_verdicts[head], 0, NULL);
        head = (head + 1) % CAPACITY;
        count--;
    }
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: netdelay QUEUE DELAY_MICROSECONDS [LOSS_PERCENT]\n");
        return 2;
    }
    int number = atoi(argv[1]);
    delay_ns = strtoull(argv[2], NULL, 10) * 1000u;
    loss_percent = argc == 4 ? atof(argv[3]) : 0;
    srand48((long)now_ns());

    struct nfq_handle *handle = nfq_open();
    if (handle == NULL) {
        perror("netdelay: nfq_open");
        return 1;
    }
    struct nfq_q_handle *queue = nfq_create_queue(handle, (uint16_t)number, &hold, NULL);
    if (queue == NULL) {
        fprintf(stderr, "netdelay: cannot bind queue %d (is another program on it?)\n", number);
        return 1;
    }
    /* Only the verdict is needed: copy no payload. */
    nfq_set_mode(queue, NFQNL_COPY_META, 0);
    nfq_set_queue_maxlen(queue, CAPACITY);
    nfnl_rcvbufsiz(nfq_nfnlh(handle), 16 << 20);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = stop;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);

    int fd = nfq_fd(handle);
    static char buffer[1 << 16] __attribute__((aligned));
    while (!stopping) {
        uint64_t now = now_ns();
        release(queue, now);
        uint64_t wait_ns = count > 0 ? held_until[head] - now : 100000000u;
        struct timespec wait = {.tv_sec = (time_t)(wait_ns / 1000000000u), .tv_nsec = (long)(wait_ns % 1000000000u)};
        struct pollfd readable = {.fd = fd, .events = POLLIN};
        if (ppoll(&readable, 1, &wait, NULL) <= 0) continue;
        ssize_t received;
        while ((received = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
            nfq_handle_packet(handle, buffer, (int)received);
        }
        if (received < 0 && errno == ENOBUFS) fprintf(stderr, "netdelay: the kernel dropped packets (ENOBUFS)\n");
    }
    release(queue, UINT64_MAX);
    nfq_destroy_queue(queue);
    nfq_close(handle);
    return 0;
}
