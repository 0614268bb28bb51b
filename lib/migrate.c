// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Layout export and import: what a migration destination needs to rebuild
 * the guest's memory layout. The text is versioned and line based:
 *
 *   memslot-layout 1
 *   backing NAME SIZE
 *   range GPA SIZE BACKING-NAME OFFSET FLAGS
 *
 * (numbers in hex with 0x), backings before the ranges over them. Only
 * migratable backings, and the ranges over them, are exported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MS_LAYOUT_MAGIC		"memslot-layout"
#define MS_LAYOUT_VERSION	1
#define MS_STR(x)		MS_XSTR(x)
#define MS_XSTR(x)		#x

struct ms_bk {
	uint32_t id;
	uint64_t size;
	int migratable;
	char name[MEMSLOT_NAME_MAX_LEN + 1];
};

struct ms_rg {
	uint64_t gpa, size, offset;
	uint32_t flags;
	char name[MEMSLOT_NAME_MAX_LEN + 1];
	uint32_t backing;		/* export: the id */
};

/* Growable arrays of the two kinds, as a walk or a parse fills them. */
struct ms_layout_set {
	struct ms_bk *bk;
	struct ms_rg *rg;
	unsigned int n_bk, n_rg, cap_bk, cap_rg;
};

/* @arr with room for element @n (of @sz bytes, zeroed), or NULL. */
static void *ms_grow(void *arr, unsigned int n, unsigned int *cap, size_t sz)
{
	void *p = arr;

	if (n == *cap) {
		p = realloc(arr, (*cap ? 2 * *cap : 16) * sz);
		if (!p)
			return NULL;
		*cap = *cap ? 2 * *cap : 16;
	}
	memset((char *)p + n * sz, 0, sz);
	return p;
}

static struct ms_bk *ms_add_bk(struct ms_layout_set *set)
{
	struct ms_bk *p = ms_grow(set->bk, set->n_bk, &set->cap_bk, sizeof(*p));

	if (p)
		set->bk = p;
	return p ? &p[set->n_bk++] : NULL;
}

static struct ms_rg *ms_add_rg(struct ms_layout_set *set)
{
	struct ms_rg *p = ms_grow(set->rg, set->n_rg, &set->cap_rg, sizeof(*p));

	if (p)
		set->rg = p;
	return p ? &p[set->n_rg++] : NULL;
}

static void ms_set_free(struct ms_layout_set *set)
{
	free(set->bk);
	free(set->rg);
}

static int ms_walk_bk(const struct memslot_backing *b, void *arg)
{
	struct ms_bk *k = ms_add_bk(arg);

	if (!k)
		return -ENOMEM;
	k->id = memslot_backing_id(b);
	k->size = memslot_backing_size(b);
	k->migratable = memslot_backing_migratable(b);
	snprintf(k->name, sizeof(k->name), "%s", memslot_backing_name(b));
	return 0;
}

static int ms_walk_rg(const struct memslot_range *r, void *arg)
{
	struct ms_rg *g = ms_add_rg(arg);

	if (!g)
		return -ENOMEM;
	g->gpa = memslot_range_gpa(r);
	g->size = memslot_range_size(r);
	g->offset = memslot_range_offset(r);
	g->flags = memslot_range_flags(r);
	g->backing = memslot_range_backing(r);
	return 0;
}

/* The space's backings and ranges (each walk consistent in itself). */
static int ms_read_layout(struct memslot *ms, uint32_t space,
			  struct ms_layout_set *set)
{
	int ret = memslot_backing_foreach(ms, space, ms_walk_bk, set);

	if (!ret)
		ret = memslot_range_foreach(ms, space, ms_walk_rg, set);
	if (ret == -ENOMEM)
		ms_set_err(ms, ret, "out of memory reading the layout");
	return ret;
}

static const struct ms_bk *ms_bk_by_id(const struct ms_layout_set *set,
				       uint32_t id)
{
	unsigned int i;

	for (i = 0; i < set->n_bk; i++)
		if (set->bk[i].id == id)
			return &set->bk[i];
	return NULL;
}

static const struct ms_bk *ms_bk_by_name(const struct ms_layout_set *set,
					 const char *name)
{
	unsigned int i;

	for (i = 0; i < set->n_bk; i++)
		if (!strcmp(set->bk[i].name, name))
			return &set->bk[i];
	return NULL;
}

/* Can @k be named in the text? */
static int ms_check_name(struct memslot *ms, const struct ms_bk *k)
{
	const char *c;

	if (!k->name[0])
		return ms_set_err(ms, -EINVAL,
				  "backing %u has no name: a migratable backing needs one to be exported",
				  k->id);
	for (c = k->name; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return ms_set_err(ms, -EINVAL,
					  "backing %u: name \"%s\" has white space or control characters",
					  k->id, k->name);
	return 0;
}

/* Write the text of @set to the stream @f. */
static int ms_write_layout(struct memslot *ms, const struct ms_layout_set *set,
			   FILE *f)
{
	const struct ms_bk *k;
	unsigned int i;
	int ret;

	fprintf(f, MS_LAYOUT_MAGIC " %d\n", MS_LAYOUT_VERSION);
	for (i = 0; i < set->n_bk; i++) {
		k = &set->bk[i];
		if (!k->migratable)
			continue;
		ret = ms_check_name(ms, k);
		if (ret)
			return ret;
		fprintf(f, "backing %s 0x%llx\n", k->name,
			(unsigned long long)k->size);
	}
	for (i = 0; i < set->n_rg; i++) {
		k = ms_bk_by_id(set, set->rg[i].backing);
		if (!k)
			return ms_set_err(ms, -EAGAIN,
					  "the layout changed during the export; export again");
		if (k->migratable)
			fprintf(f, "range 0x%llx 0x%llx %s 0x%llx 0x%x\n",
				(unsigned long long)set->rg[i].gpa,
				(unsigned long long)set->rg[i].size, k->name,
				(unsigned long long)set->rg[i].offset,
				set->rg[i].flags);
	}
	return 0;
}

int memslot_layout_export(struct memslot *ms, uint32_t space, char **text)
{
	struct ms_layout_set set = { 0 };
	size_t len = 0;
	FILE *f;
	int ret;

	*text = NULL;
	ret = ms_read_layout(ms, space, &set);
	if (ret)
		goto out;
	f = open_memstream(text, &len);
	if (!f) {
		ret = ms_set_err(ms, -ENOMEM, "out of memory");
		goto out;
	}
	ret = ms_write_layout(ms, &set, f);
	if (fclose(f) && !ret)
		ret = ms_set_err(ms, -ENOMEM, "out of memory");
	if (ret) {
		free(*text);
		*text = NULL;
	}
out:
	ms_set_free(&set);
	return ret;
}

/* One line of the text into @set. */
static int ms_parse_line(struct memslot *ms, const char *line, unsigned int no,
			 struct ms_layout_set *set)
{
	unsigned long long a, b, c;
	unsigned int flags;
	char name[MEMSLOT_NAME_MAX_LEN + 1];
	struct ms_bk *k;
	struct ms_rg *g;

	if (sscanf(line, "backing %" MS_STR(MEMSLOT_NAME_MAX_LEN) "s %llx", name, &a) == 2) {
		k = ms_add_bk(set);
		if (!k)
			return ms_set_err(ms, -ENOMEM, "out of memory");
		snprintf(k->name, sizeof(k->name), "%s", name);
		k->size = a;
		return 0;
	}
	if (sscanf(line, "range %llx %llx %" MS_STR(MEMSLOT_NAME_MAX_LEN) "s %llx %x",
		   &a, &b, name, &c, &flags) == 5) {
		if (!ms_bk_by_name(set, name))
			return ms_set_err(ms, -EINVAL,
					  "line %u: range over backing %s, which the layout does not list",
					  no, name);
		g = ms_add_rg(set);
		if (!g)
			return ms_set_err(ms, -ENOMEM, "out of memory");
		*g = (struct ms_rg){ .gpa = a, .size = b, .offset = c,
				     .flags = flags };
		snprintf(g->name, sizeof(g->name), "%s", name);
		return 0;
	}
	return ms_set_err(ms, -EINVAL, "line %u: not a backing or range line", no);
}

/* The text, line by line, after its version line; # starts a comment. */
static int ms_parse_layout(struct memslot *ms, const char *text,
			   struct ms_layout_set *set)
{
	const char *line, *end;
	unsigned int no = 1;
	char buf[256];
	size_t len;
	int version, ret;

	if (sscanf(text, MS_LAYOUT_MAGIC " %d", &version) != 1 ||
	    version != MS_LAYOUT_VERSION)
		return ms_set_err(ms, -EINVAL,
				  "line 1: not a \"" MS_LAYOUT_MAGIC " %d\" text",
				  MS_LAYOUT_VERSION);
	for (line = strchr(text, '\n'); line && line[1]; line = end) {
		line++;
		end = strchr(line, '\n');
		len = end ? (size_t)(end - line) : strlen(line);
		no++;
		if (len >= sizeof(buf))
			return ms_set_err(ms, -EINVAL, "line %u: too long", no);
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (!buf[0] || buf[0] == '#')
			continue;
		ret = ms_parse_line(ms, buf, no, set);
		if (ret)
			return ret;
	}
	return 0;
}

/* Does @dst have every backing of @want, by name, of the same size? */
static int ms_match_backings(struct memslot *ms, uint32_t space,
			     const struct ms_layout_set *want,
			     const struct ms_layout_set *dst)
{
	const struct ms_bk *k;
	unsigned int i;

	if (dst->n_rg)
		return ms_set_err(ms, -EEXIST,
				  "space %u has ranges already: an import rebuilds a whole layout",
				  space);
	for (i = 0; i < want->n_bk; i++) {
		k = ms_bk_by_name(dst, want->bk[i].name);
		if (!k)
			return ms_set_err(ms, -ENOENT, "backing %s: not in space %u",
					  want->bk[i].name, space);
		if (k->size != want->bk[i].size)
			return ms_set_err(ms, -EINVAL,
					  "backing %s: 0x%llx bytes in space %u, 0x%llx in the layout",
					  k->name, (unsigned long long)k->size, space,
					  (unsigned long long)want->bk[i].size);
		if (!k->migratable)
			return ms_set_err(ms, -EINVAL,
					  "backing %s: not migratable in space %u",
					  k->name, space);
	}
	return 0;
}

/* Every range of @want in one transaction on @space. */
static int ms_rebuild(struct memslot *ms, uint32_t space,
		      const struct ms_layout_set *want,
		      const struct ms_layout_set *dst)
{
	struct memslot_txn *t;
	const struct ms_rg *g;
	unsigned int i;
	int ret = 0;

	if (!want->n_rg)
		return 0;
	t = memslot_txn_begin(ms, space);
	if (!t)
		return ms_set_err(ms, -ENOMEM, "out of memory");
	for (i = 0; i < want->n_rg && !ret; i++) {
		g = &want->rg[i];
		ret = memslot_txn_add(t, g->gpa, g->size,
				      ms_bk_by_name(dst, g->name)->id,
				      g->offset, g->flags);
	}
	if (!ret)
		ret = memslot_txn_commit(t);
	else
		ms_set_err(ms, ret, "out of memory");
	memslot_txn_free(t);
	return ret;
}

int memslot_layout_import(struct memslot *ms, uint32_t space,
			  const char *text)
{
	struct ms_layout_set want = { 0 }, dst = { 0 };
	int ret;

	ret = ms_parse_layout(ms, text, &want) ?:
	      ms_read_layout(ms, space, &dst) ?:
	      ms_match_backings(ms, space, &want, &dst) ?:
	      ms_rebuild(ms, space, &want, &dst);
	ms_set_free(&want);
	ms_set_free(&dst);
	return ret;
}
