/* A plain C simulator of the Erlang A model (M/M/c+M), the speed reference of ccsim's core
 * (issue #13). Not part of the package: benchmarks/c_reference.py compiles it with the
 * system C compiler when a benchmark or test needs it.
 *
 * What a hand-written simulator would do, and nothing more:
 * - a binary min-heap of 16-byte events (time, kind, agent), one time comparison per step
 *   (ties between equal times are left to the heap: the model has no same-instant events
 *   with probability one);
 * - a FIFO queue of waiting callers, each with the instant its patience runs out; abandonment
 *   is checked lazily, when an agent looks at the queue (a caller whose patience has run out
 *   by then has abandoned), so there is no abandonment event;
 * - exponential draws by inversion from xoshiro256+ (53-bit uniforms).
 *
 * Usage: erlang_a_ref RATE MEAN_HANDLE MEAN_PATIENCE AGENTS WARMUP HORIZON THRESHOLD SEED
 * Arrivals stop at HORIZON and the run drains; a call's statistics count when it arrived at
 * or after WARMUP. Prints one line "key=value ..." with the counts and the CPU seconds of the
 * simulation loop (CLOCK_PROCESS_CPUTIME_ID, setup and output excluded).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { ARRIVAL = 0, DEPARTURE = 1 };

typedef struct { double time; int32_t kind; int32_t agent; } Event; /* 16 bytes */

typedef struct { Event *data; int64_t size; } Heap;

typedef struct { double arrival; double deadline; } Waiter;

typedef struct { Waiter *data; int64_t head, size, capacity; } Queue;

static uint64_t rng[4];

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline double uniform(void) { /* xoshiro256+, in (0, 1] */
    uint64_t result = rng[0] + rng[3], t = rng[1] << 17;
    rng[2] ^= rng[0]; rng[3] ^= rng[1]; rng[1] ^= rng[2]; rng[0] ^= rng[3];
    rng[2] ^= t; rng[3] = rotl(rng[3], 45);
    return ((result >> 11) + 1) * 0x1.0p-53;
}

static inline double exponential(double mean) { return -mean * log(uniform()); }

static void seed_rng(uint64_t seed) { /* splitmix64 fills the state */
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        rng[i] = z ^ (z >> 31);
    }
}

static inline void push(Heap *h, double time, int32_t kind, int32_t agent) {
    int64_t i = h->size++;
    while (i > 0) {
        int64_t parent = (i - 1) >> 1;
        if (h->data[parent].time <= time) break;
        h->data[i] = h->data[parent];
        i = parent;
    }
    h->data[i] = (Event){time, kind, agent};
}

static inline Event pop(Heap *h) {
    Event top = h->data[0], last = h->data[--h->size];
    int64_t i = 0, child = 1, n = h->size;
    while (child < n) {
        if (child + 1 < n && h->data[child + 1].time < h->data[child].time) child++;
        if (last.time <= h->data[child].time) break;
        h->data[i] = h->data[child];
        i = child;
        child = 2 * i + 1;
    }
    h->data[i] = last;
    return top;
}

static void enqueue(Queue *q, double arrival, double deadline) {
    if (q->size == q->capacity) { /* grow the ring, unwrapping it */
        int64_t cap = q->capacity ? 2 * q->capacity : 1024;
        Waiter *data = malloc(cap * sizeof(Waiter));
        if (!data) { perror("malloc"); exit(1); }
        for (int64_t j = 0; j < q->size; j++) data[j] = q->data[(q->head + j) % q->capacity];
        free(q->data);
        q->data = data; q->head = 0; q->capacity = cap;
    }
    q->data[(q->head + q->size) % q->capacity] = (Waiter){arrival, deadline};
    q->size++;
}

typedef struct { int64_t calls, offered, answered, abandoned, within; double wait_answered; } Stats;

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: %s RATE MEAN_HANDLE MEAN_PATIENCE AGENTS WARMUP HORIZON THRESHOLD SEED\n", argv[0]);
        return 2;
    }
    double mean_gap = 1.0 / atof(argv[1]), handle = atof(argv[2]), patience = atof(argv[3]);
    int32_t agents = atoi(argv[4]);
    double warmup = atof(argv[5]), horizon = atof(argv[6]), threshold = atof(argv[7]);
    seed_rng(strtoull(argv[8], NULL, 10));

    Heap heap = {malloc((agents + 1) * sizeof(Event)), 0};
    int32_t *idle = malloc(agents * sizeof(int32_t)), n_idle = agents;
    Queue queue = {0};
    Stats s = {0};
    if (!heap.data || !idle) { perror("malloc"); return 1; }
    for (int32_t a = 0; a < agents; a++) idle[a] = agents - 1 - a;

    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    push(&heap, exponential(mean_gap), ARRIVAL, -1);
    while (heap.size > 0) {
        Event ev = pop(&heap);
        double now = ev.time;
        if (ev.kind == ARRIVAL) {
            int counted = now >= warmup;
            s.calls++;
            s.offered += counted;
            double next = now + exponential(mean_gap);
            if (next < horizon) push(&heap, next, ARRIVAL, -1);
            if (n_idle > 0) { /* answered at once: the queue is empty when an agent is idle */
                s.answered += counted;
                s.within += counted;
                push(&heap, now + exponential(handle), DEPARTURE, idle[--n_idle]);
            } else {
                enqueue(&queue, now, now + exponential(patience));
            }
        } else { /* an agent is free: the first caller still waiting, if any */
            int served = 0;
            while (queue.size > 0 && !served) {
                Waiter w = queue.data[queue.head];
                queue.head = queue.head + 1 == queue.capacity ? 0 : queue.head + 1;
                queue.size--;
                int counted = w.arrival >= warmup;
                if (w.deadline < now) { /* its patience ran out while it waited */
                    s.abandoned += counted;
                } else {
                    double wait = now - w.arrival;
                    s.answered += counted;
                    s.within += counted & (wait <= threshold);
                    s.wait_answered += counted ? wait : 0.0;
                    push(&heap, now + exponential(handle), DEPARTURE, ev.agent);
                    served = 1;
                }
            }
            if (!served) idle[n_idle++] = ev.agent;
        }
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double cpu = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    printf("calls=%lld offered=%lld answered=%lld abandoned=%lld within=%lld wait_answered=%.17g cpu_seconds=%.9f\n",
           (long long)s.calls, (long long)s.offered, (long long)s.answered, (long long)s.abandoned,
           (long long)s.within, s.wait_answered, cpu);
    free(heap.data); free(idle); free(queue.data);
    return 0;
}
