// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The client-table count behind sluice_client_table_entries: a walk in
 * bounded steps over a real LRU hash map of the client table's key and
 * value, empty, partly and fully filled, resumed across steps. */
#include <unistd.h>
#include <bpf/bpf.h>

#include "test.h"
#include "sluice_abi.h"
#include "export/count.h"

#define ENTRIES	16384

static int fill(int fd, uint32_t n)
{
	struct sl_client_key k = { .family = SL_AF_INET };
	struct sl_client v = {};

	for (uint32_t i = 0; i < n; i++) {
		k.addr[0] = i + 1;
		if (bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST))
			return -errno;
	}
	return 0;
}

/* Steps of `budget` until a walk completes: the number of steps. */
static int walk(struct count_walk *c, int fd, uint64_t budget)
{
	int steps = 0;

	c->have = false;
	while (!c->have && steps < 1000) {
		if (count_step(c, fd, budget))
			return -1;
		steps++;
	}
	return steps;
}

static void test_count(void)
{
	static const struct { uint32_t n, budget; int min_steps; } cases[] = {
		{ 0, COUNT_STEP_MAX, 1 },
		{ 1, COUNT_STEP_MAX, 1 },
		{ 5000, COUNT_STEP_MAX, 1 },
		{ 5000, 1000, 2 },	/* resumed across steps */
		{ ENTRIES, 4096, 2 },
	};
	struct count_walk c;
	char name[64];

	if (!ASSERT_OK(count_init(&c, sizeof(struct sl_client_key),
				  sizeof(struct sl_client)), "count_init"))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd, steps;

		snprintf(name, sizeof(name), "%u entries, steps of %u",
			 cases[i].n, cases[i].budget);
		test_subtest_begin(name);
		fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "t_count",
				    sizeof(struct sl_client_key),
				    sizeof(struct sl_client), ENTRIES, NULL);
		if (!ASSERT_TRUE(fd >= 0, "bpf_map_create"))
			break;
		if (ASSERT_OK(fill(fd, cases[i].n), "fill")) {
			steps = walk(&c, fd, cases[i].budget);
			ASSERT_GE(steps, cases[i].min_steps, "steps");
			ASSERT_EQ(c.count, cases[i].n, "counted");
			/* A second walk counts the same. */
			walk(&c, fd, cases[i].budget);
			ASSERT_EQ(c.count, cases[i].n, "counted again");
		}
		close(fd);
		test_subtest_end();
	}
	count_free(&c);
}

TEST_MAIN("bpf/count", TEST(test_count))
