// SPDX-License-Identifier: GPL-2.0
/*
 * memslotctl: inspect and drive memslot spaces, iproute2 style.
 *
 *   memslotctl [-j] [-b FILE] space { list | show ID | new [name NAME] | del ID }
 *   memslotctl [-j] [-b FILE] range list SPACE
 *   memslotctl [-j] [-b FILE] backing list SPACE
 *   memslotctl [-j] monitor [count N]
 *
 * A space lives as long as the socket that created it: "space new" in a
 * one-shot command is gone when memslotctl exits, so use -b (batch: one
 * command a line, "-" for stdin) to create and use spaces in one session.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmemslot.h"

static int json;
static int stats;	/* -s: statistics with spaces */

struct cmd_ctx {
	struct memslot *ms;
	int argc;
	char **argv;
	int first;	/* JSON: no comma before the next object */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: memslotctl [-j] [-s] [-b FILE] OBJECT COMMAND\n"
		"       memslotctl space { list | show ID | new [name NAME] | del ID | export ID }\n"
		"       memslotctl space set ID [hold-budget US] [budget-mode { split | unheld }]\n"
		"       memslotctl range list SPACE\n"
		"       memslotctl backing list SPACE\n"
		"       memslotctl monitor [count N]\n"
		"Options: -j JSON output, -s statistics (commits, vCPU holds),\n"
		"         -b FILE run commands from FILE (- = stdin)\n");
}

static int report(struct memslot *ms, int err, const char *what)
{
	const char *attr = memslot_err_attr_name(ms);
	const char *msg = memslot_errmsg(ms);

	fflush(stdout); /* keep output and errors in order when both are piped */
	fprintf(stderr, "Error: %s: %s", what, msg[0] ? msg : strerror(-err));
	if (attr)
		fprintf(stderr, " (attribute %s)", attr);
	fprintf(stderr, "\n");
	return 1;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* Commit and vCPU hold statistics: counters, then last/max/avg times. */
static void print_stats(const struct memslot_space *s)
{
	uint64_t commits = memslot_space_stat(s, MEMSLOT_STAT_COMMITS);
	uint64_t failed = memslot_space_stat(s, MEMSLOT_STAT_FAILED);
	uint64_t holds = memslot_space_stat(s, MEMSLOT_STAT_HOLDS);
	uint64_t ops = memslot_space_stat(s, MEMSLOT_STAT_OPS);
	uint64_t p[5] = {
		memslot_space_stat(s, MEMSLOT_STAT_PINNED_PAGES),
		memslot_space_stat(s, MEMSLOT_STAT_PINS_TAKEN),
		memslot_space_stat(s, MEMSLOT_STAT_PINS_DROPPED),
		memslot_space_stat(s, MEMSLOT_STAT_LAST_PINS_TAKEN),
		memslot_space_stat(s, MEMSLOT_STAT_LAST_PINS_DROPPED),
	};
	uint64_t c[3] = {
		memslot_space_stat(s, MEMSLOT_STAT_COMMIT_NS_LAST),
		memslot_space_stat(s, MEMSLOT_STAT_COMMIT_NS_MAX),
		memslot_space_stat(s, MEMSLOT_STAT_COMMIT_NS_TOTAL),
	};
	uint64_t h[3] = {
		memslot_space_stat(s, MEMSLOT_STAT_HOLD_NS_LAST),
		memslot_space_stat(s, MEMSLOT_STAT_HOLD_NS_MAX),
		memslot_space_stat(s, MEMSLOT_STAT_HOLD_NS_TOTAL),
	};
	uint64_t d[6], k[8];
	int i;

	for (i = 0; i < 6; i++)
		d[i] = memslot_space_stat(s, MEMSLOT_STAT_DMA_MAP_CALLS + i);
	for (i = 0; i < 8; i++)
		k[i] = memslot_space_stat(s, MEMSLOT_STAT_HOLDS_SPEED + i);

	if (json) {
		printf(",\"stats\":{\"commits\":%" PRIu64 ",\"ops\":%" PRIu64
		       ",\"failed\":%" PRIu64 ",\"holds\":%" PRIu64
		       ",\"commit_ns\":{\"last\":%" PRIu64 ",\"max\":%" PRIu64
		       ",\"total\":%" PRIu64 "},\"hold_ns\":{\"last\":%" PRIu64
		       ",\"max\":%" PRIu64 ",\"total\":%" PRIu64 "},",
		       commits, ops, failed, holds, c[0], c[1], c[2], h[0], h[1],
		       h[2]);
		printf("\"pinned_pages\":%" PRIu64 ",\"pins_taken\":%" PRIu64
		       ",\"pins_dropped\":%" PRIu64 ",\"last_pins_taken\":%" PRIu64
		       ",\"last_pins_dropped\":%" PRIu64 ",",
		       p[0], p[1], p[2], p[3], p[4]);
		printf("\"iommu\":{\"map_calls\":%" PRIu64 ",\"map_pages\":%" PRIu64
		       ",\"unmap_calls\":%" PRIu64 ",\"unmap_pages\":%" PRIu64
		       ",\"kept_pages\":%" PRIu64 ",\"hole_pages\":%" PRIu64 "},",
		       d[0], d[1], d[2], d[3], d[4], d[5]);
		printf("\"hold_policy\":{\"holds_speed\":%" PRIu64
		       ",\"unheld_budget\":%" PRIu64 ",\"hold_batches\":%" PRIu64
		       ",\"cost_ns\":{\"unheld_set\":%" PRIu64
		       ",\"unheld_delete\":%" PRIu64 ",\"held_set\":%" PRIu64
		       ",\"held_delete\":%" PRIu64 ",\"hold\":%" PRIu64 "}}}",
		       k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]);
		return;
	}
	printf("    commits %" PRIu64 " ops %" PRIu64 " failed %" PRIu64
	       " holds %" PRIu64 "\n", commits, ops, failed, holds);
	printf("    commit last %" PRIu64 "us max %" PRIu64 "us avg %" PRIu64
	       "us\n", c[0] / 1000, c[1] / 1000,
	       c[2] / 1000 / (commits + failed ? commits + failed : 1));
	printf("    vcpu hold last %" PRIu64 "us max %" PRIu64 "us avg %" PRIu64
	       "us\n", h[0] / 1000, h[1] / 1000, h[2] / 1000 / (holds ? holds : 1));
	printf("    dma pinned %" PRIu64 " pages, pins taken %" PRIu64 " dropped %"
	       PRIu64 " (last commit %" PRIu64 "/%" PRIu64 ")\n",
	       p[0], p[1], p[2], p[3], p[4]);
	printf("    iommu map %" PRIu64 " calls %" PRIu64 " pages, unmap %" PRIu64
	       " calls %" PRIu64 " pages, kept %" PRIu64 " pages, hole %" PRIu64
	       " pages\n", d[0], d[1], d[2], d[3], d[4], d[5]);
	printf("    hold policy: held for speed %" PRIu64 ", unheld by budget %"
	       PRIu64 ", holds %" PRIu64 "\n", k[0], k[1], k[2]);
	printf("    cost per slot set/delete: unheld %" PRIu64 "/%" PRIu64
	       "us, held %" PRIu64 "/%" PRIu64 "us; hold %" PRIu64 "us\n",
	       k[3] / 1000, k[4] / 1000, k[5] / 1000, k[6] / 1000, k[7] / 1000);
}

static const char *budget_mode_name(uint32_t mode)
{
	return mode == MEMSLOT_BUDGET_UNHELD ? "unheld" : "split";
}

static int print_space(const struct memslot_space *s, void *arg)
{
	struct cmd_ctx *c = arg;

	if (json) {
		printf("%s{\"id\":%" PRIu32 ",\"name\":", c->first ? "" : ",",
		       memslot_space_id(s));
		json_str(memslot_space_name(s));
		printf(",\"owner_pid\":%" PRIu32 ",\"generation\":%" PRIu64,
		       memslot_space_owner_pid(s), memslot_space_generation(s));
		if (memslot_space_dma_bound(s))
			printf(",\"dma_bound\":true");
		if (memslot_space_dirty_protect(s))
			printf(",\"dirty_log_protect\":%u",
			       memslot_space_dirty_protect(s));
		if (memslot_space_hold_budget_us(s))
			printf(",\"hold_budget_us\":%" PRIu32
			       ",\"budget_mode\":\"%s\"",
			       memslot_space_hold_budget_us(s),
			       budget_mode_name(memslot_space_budget_mode(s)));
		if (stats)
			print_stats(s);
		printf("}");
	} else {
		printf("space %" PRIu32, memslot_space_id(s));
		if (memslot_space_name(s)[0])
			printf(" name %s", memslot_space_name(s));
		printf(" owner %" PRIu32 " generation %" PRIu64 "%s%s%s\n",
		       memslot_space_owner_pid(s), memslot_space_generation(s),
		       memslot_space_dma_bound(s) ? " dma-bound" : "",
		       memslot_space_dirty_protect(s) ? " dirty-manual" : "",
		       memslot_space_dirty_protect(s) &
		       MEMSLOT_BIND_DIRTY_INITIALLY_SET ? " dirty-initially-set" : "");
		if (memslot_space_hold_budget_us(s))
			printf("    hold-budget %" PRIu32 "us budget-mode %s\n",
			       memslot_space_hold_budget_us(s),
			       budget_mode_name(memslot_space_budget_mode(s)));
		if (stats)
			print_stats(s);
	}
	c->first = 0;
	return 0;
}

static int parse_u32(const char *s, const char *what, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s || v > UINT32_MAX) {
		fprintf(stderr, "Error: \"%s\" is not a valid %s\n", s, what);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_id(const char *s, uint32_t *id)
{
	return parse_u32(s, "space id", id);
}

static int space_list(struct cmd_ctx *c)
{
	int err;

	if (json)
		printf("[");
	c->first = 1;
	err = memslot_space_foreach(c->ms, print_space, c);
	if (json)
		printf("]\n");
	return err ? report(c->ms, err, "space list") : 0;
}

static int space_show(struct cmd_ctx *c)
{
	struct memslot_space *s;
	uint32_t id;
	int err;

	if (c->argc != 1 || parse_id(c->argv[0], &id))
		return usage(stderr), 1;
	err = memslot_space_get(c->ms, id, &s);
	if (err)
		return report(c->ms, err, "space show");
	c->first = 1;
	print_space(s, c);
	if (json)
		printf("\n");
	memslot_space_free(s);
	return 0;
}

static int space_new(struct cmd_ctx *c)
{
	const char *name = NULL;
	uint32_t id;
	int err;

	if (c->argc == 2 && !strcmp(c->argv[0], "name"))
		name = c->argv[1];
	else if (c->argc)
		return usage(stderr), 1;
	err = memslot_space_new(c->ms, name, &id);
	if (err)
		return report(c->ms, err, "space new");
	if (json)
		printf("{\"id\":%" PRIu32 "}\n", id);
	else
		printf("space %" PRIu32 "\n", id);
	return 0;
}

static int space_del(struct cmd_ctx *c)
{
	uint32_t id;
	int err;

	if (c->argc != 1 || parse_id(c->argv[0], &id))
		return usage(stderr), 1;
	err = memslot_space_del(c->ms, id);
	return err ? report(c->ms, err, "space del") : 0;
}

/* space set ID [hold-budget US] [budget-mode split|unheld] */
static int space_set(struct cmd_ctx *c)
{
	struct memslot_space *s;
	uint32_t id, us, mode = 0;
	int i, err;

	if (c->argc < 1 || c->argc % 2 != 1 || parse_id(c->argv[0], &id))
		return usage(stderr), 1;
	err = memslot_space_get(c->ms, id, &s);
	if (err)
		return report(c->ms, err, "space set");
	us = memslot_space_hold_budget_us(s);
	memslot_space_free(s);
	for (i = 1; i < c->argc; i += 2) {
		if (!strcmp(c->argv[i], "hold-budget")) {
			if (parse_u32(c->argv[i + 1], "budget (us)", &us))
				return 1;
			continue;
		}
		if (!strcmp(c->argv[i], "budget-mode") &&
		    (!strcmp(c->argv[i + 1], "split") ||
		     !strcmp(c->argv[i + 1], "unheld"))) {
			mode = c->argv[i + 1][0] == 's' ? MEMSLOT_BUDGET_SPLIT :
							  MEMSLOT_BUDGET_UNHELD;
			continue;
		}
		return usage(stderr), 1;
	}
	err = memslot_space_set_hold_budget(c->ms, id, us, mode);
	return err ? report(c->ms, err, "space set") : 0;
}

/* One line of an exported layout as a JSON object; nothing for others. */
static void export_line_json(const char *line, int *first)
{
	unsigned long long a, b, o;
	unsigned int f;
	char name[64];

	if (sscanf(line, "backing %63s %llx", name, &a) == 2) {
		printf("%s{\"type\":\"backing\",\"name\":", *first ? "" : ",");
		json_str(name);
		printf(",\"size\":%llu}", a);
	} else if (sscanf(line, "range %llx %llx %63s %llx %x", &a, &b, name,
			  &o, &f) == 5) {
		printf("%s{\"type\":\"range\",\"gpa\":%llu,\"size\":%llu,\"backing\":",
		       *first ? "" : ",", a, b);
		json_str(name);
		printf(",\"offset\":%llu,\"flags\":%u}", o, f);
	} else {
		return;
	}
	*first = 0;
}

/* The migratable layout, as libmemslot exports it (or as JSON). */
static int space_export(struct cmd_ctx *c)
{
	char *text, *line, *save;
	int err, version = 0, first = 1;
	uint32_t id;

	if (c->argc != 1 || parse_id(c->argv[0], &id))
		return usage(stderr), 1;
	err = memslot_layout_export(c->ms, id, &text);
	if (err)
		return report(c->ms, err, "space export");
	if (!json) {
		fputs(text, stdout);
		free(text);
		return 0;
	}
	sscanf(text, "memslot-layout %d", &version);
	printf("{\"version\":%d,\"objects\":[", version);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		export_line_json(line, &first);
	printf("]}\n");
	free(text);
	return 0;
}

static int print_range(const struct memslot_range *r, void *arg)
{
	struct cmd_ctx *c = arg;
	uint32_t f = memslot_range_flags(r);

	if (json) {
		printf("%s{\"id\":%" PRIu32 ",\"gpa\":%" PRIu64 ",\"size\":%" PRIu64
		       ",\"backing\":%" PRIu32 ",\"offset\":%" PRIu64
		       ",\"readonly\":%s,\"dirty_log\":%s,\"dma\":%s,\"slots\":%" PRIu32 "}",
		       c->first ? "" : ",", memslot_range_id(r),
		       memslot_range_gpa(r), memslot_range_size(r),
		       memslot_range_backing(r), memslot_range_offset(r),
		       f & MEMSLOT_RANGE_READONLY ? "true" : "false",
		       f & MEMSLOT_RANGE_DIRTY_LOG ? "true" : "false",
		       f & MEMSLOT_RANGE_DMA ? "true" : "false",
		       memslot_range_slots(r));
	} else {
		printf("range %" PRIu32 " gpa 0x%" PRIx64 " size 0x%" PRIx64
		       " backing %" PRIu32 " offset 0x%" PRIx64 "%s%s%s slots %" PRIu32 "\n",
		       memslot_range_id(r), memslot_range_gpa(r),
		       memslot_range_size(r), memslot_range_backing(r),
		       memslot_range_offset(r),
		       f & MEMSLOT_RANGE_READONLY ? " readonly" : "",
		       f & MEMSLOT_RANGE_DIRTY_LOG ? " dirty-log" : "",
		       f & MEMSLOT_RANGE_DMA ? " dma" : "",
		       memslot_range_slots(r));
	}
	c->first = 0;
	return 0;
}

static int print_backing(const struct memslot_backing *b, void *arg)
{
	struct cmd_ctx *c = arg;

	if (json) {
		printf("%s{\"id\":%" PRIu32 ",\"addr\":%" PRIu64 ",\"size\":%" PRIu64
		       ",\"name\":", c->first ? "" : ",", memslot_backing_id(b),
		       memslot_backing_addr(b), memslot_backing_size(b));
		json_str(memslot_backing_name(b));
		printf("}");
	} else {
		printf("backing %" PRIu32 " addr 0x%" PRIx64 " size 0x%" PRIx64,
		       memslot_backing_id(b), memslot_backing_addr(b),
		       memslot_backing_size(b));
		if (memslot_backing_name(b)[0])
			printf(" name %s", memslot_backing_name(b));
		printf("\n");
	}
	c->first = 0;
	return 0;
}

/* "range list SPACE" and "backing list SPACE". */
static int layout_list(struct cmd_ctx *c, bool ranges)
{
	uint32_t space;
	int err;

	if (c->argc != 1 || parse_id(c->argv[0], &space))
		return usage(stderr), 1;
	if (json)
		printf("[");
	c->first = 1;
	err = ranges ? memslot_range_foreach(c->ms, space, print_range, c) :
		       memslot_backing_foreach(c->ms, space, print_backing, c);
	if (json)
		printf("]\n");
	return err ? report(c->ms, err, ranges ? "range list" : "backing list") : 0;
}

static int range_list(struct cmd_ctx *c)
{
	return layout_list(c, true);
}

static int backing_list(struct cmd_ctx *c)
{
	return layout_list(c, false);
}

static int print_event(const struct memslot_event *e, void *arg)
{
	static const char * const names[] = {
		[MEMSLOT_EVENT_SPACE_NEW] = "space-new",
		[MEMSLOT_EVENT_SPACE_DEL] = "space-del",
		[MEMSLOT_EVENT_COMMIT] = "commit",
	};
	enum memslot_event_type type = memslot_event_type(e);
	long *left = arg;

	if (json)
		printf("{\"event\":\"%s\",\"space\":%" PRIu32, names[type],
		       memslot_event_space(e));
	else
		printf("%s space %" PRIu32, names[type], memslot_event_space(e));
	if (type == MEMSLOT_EVENT_COMMIT)
		printf(json ? ",\"generation\":%" PRIu64 ",\"removed\":%u,\"added\":%u,\"changed\":%u,\"truncated\":%s"
			    : " generation %" PRIu64 " removed %u added %u changed %u%s",
		       memslot_event_generation(e), memslot_event_removed(e),
		       memslot_event_added(e), memslot_event_changed(e),
		       memslot_event_truncated(e) ? (json ? "true" : " truncated") :
						   (json ? "false" : ""));
	printf(json ? "}\n" : "\n");
	fflush(stdout);
	return --*left == 0;
}

/* Print events as they come; "count N" stops after N of them. */
static int monitor(struct cmd_ctx *c)
{
	long left = -1;
	int err;

	if (c->argc == 2 && !strcmp(c->argv[0], "count"))
		left = strtol(c->argv[1], NULL, 0);
	else if (c->argc)
		return usage(stderr), 1;
	err = memslot_monitor_join(c->ms);
	if (err)
		return report(c->ms, err, "monitor");
	/* joined: from here on no event is missed (tests wait for this) */
	fprintf(stderr, "monitoring memslot events\n");
	while (!(err = memslot_monitor_read(c->ms, print_event, &left)))
		;
	return err < 0 ? report(c->ms, err, "monitor") : 0;
}

static const struct {
	const char *object, *verb;
	int (*fn)(struct cmd_ctx *c);
} cmds[] = {
	{ "space", "list", space_list },
	{ "space", "show", space_show },
	{ "space", "new", space_new },
	{ "space", "del", space_del },
	{ "space", "export", space_export },
	{ "space", "set", space_set },
	{ "range", "list", range_list },
	{ "backing", "list", backing_list },
};

static int run(struct memslot *ms, int argc, char **argv)
{
	struct cmd_ctx c = { .ms = ms };
	size_t i;

	if (argc >= 1 && !strcmp(argv[0], "monitor")) {
		c.argc = argc - 1;
		c.argv = argv + 1;
		return monitor(&c);
	}

	if (argc == 1 && !strcmp(argv[0], "space"))
		argv[argc++] = "list"; /* "space" alone lists */
	if (argc < 2)
		return usage(stderr), 1;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].object) ||
		    strcmp(argv[1], cmds[i].verb))
			continue;
		c.argc = argc - 2;
		c.argv = argv + 2;
		return cmds[i].fn(&c);
	}
	fprintf(stderr, "Error: unknown command \"%s %s\"\n", argv[0], argv[1]);
	return 1;
}

static int run_batch(struct memslot *ms, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[1024], *argv[32], *tok, *save;
	int argc, ret = 0, lineno = 0;

	if (!f) {
		fprintf(stderr, "Error: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		argc = 0;
		for (tok = strtok_r(line, " \t\n", &save); tok && argc < 31;
		     tok = strtok_r(NULL, " \t\n", &save))
			argv[argc++] = tok;
		if (!argc || argv[0][0] == '#')
			continue;
		argv[argc] = NULL;
		if (run(ms, argc, argv)) {
			fprintf(stderr, "Command failed %s:%d\n", path, lineno);
			ret = 1;
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	const char *batch = NULL;
	struct memslot *ms;
	char *args[8];
	int i, err, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j"))
			json = 1;
		else if (!strcmp(argv[i], "-s"))
			stats = 1;
		else if (!strcmp(argv[i], "-b") && i + 1 < argc)
			batch = argv[++i];
		else if (!strcmp(argv[i], "-h"))
			return usage(stdout), 0;
		else
			return usage(stderr), 1;
	}
	if (!batch && (argc - i < 1 || argc - i > 8))
		return usage(stderr), 1;
	err = memslot_open(&ms);
	if (err) {
		fprintf(stderr, "Error: cannot open memslot: %s%s\n",
			strerror(-err),
			err == -ENOENT ? " (is memslot.ko loaded?)" : "");
		return 1;
	}
	if (batch) {
		ret = run_batch(ms, batch);
	} else {
		memcpy(args, argv + i, (argc - i) * sizeof(*args));
		ret = run(ms, argc - i, args);
	}
	memslot_close(ms);
	return ret;
}
