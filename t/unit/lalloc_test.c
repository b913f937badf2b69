/* lalloc_test.c: the Lua states' free lists (art_lalloc) and their budget.
 *
 * First the heap alone: a freed block is handed out again for its size class
 * and only for it; a block keeps its contents when it moves between classes
 * and to and from libc's sizes; the lists never hold more than their cap, and
 * release empties them.  Then a real state made by art_lua.c, whose allocator
 * takes its blocks from such a heap: the bytes it counts are exactly the ones
 * Lua counts, small blocks churned through the lists keep their contents, and
 * its memory budget refuses the growth that would pass ArticlesLuaMemory,
 * ending in Lua's "not enough memory" with the memory budget marked spent.
 *
 * Prints one line per failure and finally "lalloc: N passed, M failed"; the
 * exit status is non-zero when anything failed.  Memory errors: build with
 * -fsanitize=address (the lists poison what they hold) or run under valgrind.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include <lauxlib.h>
#include <lualib.h>

#include "art_lalloc.h"
#include "art_lua.h"
#include "art_lua_int.h"
#include "unit_check.h"

#define GRAIN ART_LALLOC_GRAIN

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    size_t i;

    for (i = 0; i < n; i++) {
        p[i] = (unsigned char)(seed + i * 7);
    }
}

static int same(const unsigned char *p, size_t n, unsigned seed)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != (unsigned char)(seed + i * 7)) {
            return 0;
        }
    }
    return 1;
}

static void test_reuse(void)
{
    art_lalloc_t a;
    void *p, *q, *r;

    art_lalloc_init(&a, 64 * 1024);
    p = art_lalloc_realloc(&a, NULL, 0, 40);
    CHECK(p != NULL, "40 bytes allocated");
    CHECK(art_lalloc_realloc(&a, p, 40, 0) == NULL, "free returns NULL");
    CHECK(a.held == 48, "a freed 40-byte block is held as its class, 48 bytes: %zu",
          a.held);
    q = art_lalloc_realloc(&a, NULL, 0, 20);
    CHECK(q != p, "a 20-byte block does not take the 48-byte class's block");
    r = art_lalloc_realloc(&a, NULL, 0, 48);
    CHECK(r == p, "a 48-byte block takes the freed one of its class");
    CHECK(a.held == 0, "nothing held once it is handed out again: %zu", a.held);
    art_lalloc_realloc(&a, q, 20, 0);
    art_lalloc_realloc(&a, r, 48, 0);
    p = art_lalloc_realloc(&a, NULL, 0, ART_LALLOC_MAX + 1);
    art_lalloc_realloc(&a, p, ART_LALLOC_MAX + 1, 0);
    CHECK(a.held == 32 + 48, "blocks above ART_LALLOC_MAX go back to libc: %zu",
          a.held);
    art_lalloc_release(&a);
    CHECK(a.held == 0, "release empties the lists");
}

/* A block grown and shrunk through every kind of move keeps its bytes. */
static void test_realloc(void)
{
    static const size_t sizes[] = { 1, 16, 17, 40, 47, 48, 100, 255, 256, 257,
                                    1000, 5000, 200, 64, 33, 16, 3, 4096, 20 };
    art_lalloc_t a;
    unsigned char *p;
    size_t i, n, keep;

    art_lalloc_init(&a, 64 * 1024);
    /* Blocks of every class in the lists, so that moves take listed ones. */
    for (n = 1; n <= ART_LALLOC_MAX; n += GRAIN) {
        art_lalloc_realloc(&a, art_lalloc_realloc(&a, NULL, 0, n), n, 0);
    }
    n = sizes[0];
    p = art_lalloc_realloc(&a, NULL, 0, n);
    fill(p, n, 11);
    keep = n;
    for (i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *q = art_lalloc_realloc(&a, p, n, sizes[i]);
        size_t kept = keep < sizes[i] ? keep : sizes[i];

        CHECK(q != NULL, "%zu -> %zu bytes", n, sizes[i]);
        if (q == NULL) {
            break;
        }
        CHECK(same(q, kept, 11), "%zu -> %zu bytes keeps the first %zu", n,
              sizes[i], kept);
        if (n <= ART_LALLOC_MAX && sizes[i] <= ART_LALLOC_MAX
            && (n - 1) / GRAIN == (sizes[i] - 1) / GRAIN) {
            CHECK(q == p, "%zu -> %zu bytes stays in place (one class)", n,
                  sizes[i]);
        }
        /* Refill to the new size: every byte of it is usable. */
        fill(q, sizes[i], 11);
        keep = sizes[i];
        p = q;
        n = sizes[i];
    }
    art_lalloc_realloc(&a, p, n, 0);
    art_lalloc_release(&a);
}

/* However much is freed, the lists hold at most the cap; what did not fit went
 * back to libc, and the lists still hand out what they hold. */
static void test_cap(void)
{
    enum { N = 100, SIZE = 64 };
    art_lalloc_t a;
    void *blocks[N], *again[N];
    int i, listed = 0;

    art_lalloc_init(&a, 1000);
    for (i = 0; i < N; i++) {
        blocks[i] = art_lalloc_realloc(&a, NULL, 0, SIZE);
    }
    for (i = 0; i < N; i++) {
        art_lalloc_realloc(&a, blocks[i], SIZE, 0);
        CHECK(a.held <= 1000, "held %zu after %d frees, cap 1000", a.held, i + 1);
    }
    CHECK(a.held == 1000 / SIZE * SIZE, "the lists filled up to the cap: %zu",
          a.held);
    for (i = 0; i < 1000 / SIZE; i++) {
        void *p = art_lalloc_realloc(&a, NULL, 0, SIZE);
        int j;

        for (j = 0; j < N; j++) {
            listed += p == blocks[j];
        }
        again[i] = p;
    }
    CHECK(listed == 1000 / SIZE, "%d of %d allocations came from the lists",
          listed, 1000 / SIZE);
    CHECK(a.held == 0, "all handed out again: %zu", a.held);
    for (i = 0; i < 1000 / SIZE; i++) {
        art_lalloc_realloc(&a, again[i], SIZE, 0);
    }
    art_lalloc_release(&a);

    art_lalloc_init(&a, 0);
    blocks[0] = art_lalloc_realloc(&a, NULL, 0, 24);
    art_lalloc_realloc(&a, blocks[0], 24, 0);
    CHECK(a.held == 0, "cap 0 keeps nothing");
    art_lalloc_release(&a);
}

static int run(lua_State *L, const char *code)
{
    int rc = luaL_loadstring(L, code);

    if (rc == LUA_OK) {
        rc = lua_pcall(L, 0, 0, 0);
    }
    return rc;
}

/* Lua's own count of the state's bytes, which the allocator must match. */
static size_t lua_bytes(lua_State *L)
{
    return (size_t)lua_gc(L, LUA_GCCOUNT) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB);
}

/* A state as the module makes it, with a 1 MB budget. */
static void test_state(apr_pool_t *pool)
{
    art_lua_host_opts_t o;
    art_lua_host_t *h;
    art_lstate_t *st;
    lua_State *L;
    int rc, n;
    apr_size_t bytes;

    memset(&o, 0, sizeof(o));
    o.limits.memory = 1024 * 1024;
    h = art_lua_host_create(pool, &o);
    st = art_lua_acquire(h, "unit", 0);
    CHECK(st != NULL, "a state is made");
    if (st == NULL) {
        return;
    }
    L = art_lua_state(st);
    /* No request: the instructions are not what this test counts. */
    st->instr_left = LONG_MAX;
    CHECK(art_lua_memory(st) == lua_bytes(L), "counted %zu bytes, Lua counts %zu",
          (size_t)art_lua_memory(st), lua_bytes(L));

    /* Churn: short-lived tables and strings of many sizes go through the
     * lists while long-lived ones keep what they were given. */
    rc = run(L, "keep = {}\n"
                "for round = 1, 30 do\n"
                "  local tmp = {}\n"
                "  for i = 1, 500 do\n"
                "    tmp[i] = { i, tostring(i):rep(i % 9 + 1), { x = i } }\n"
                "  end\n"
                "  keep[round] = tmp[round * 7]\n"
                "end\n"
                "for round = 1, 30 do\n"
                "  local t = keep[round]\n"
                "  assert(t[1] == round * 7 and t[3].x == round * 7)\n"
                "  assert(t[2] == tostring(round * 7):rep(round * 7 % 9 + 1))\n"
                "end\n");
    CHECK(rc == LUA_OK, "churn through the lists: %s",
          rc == LUA_OK ? "ok" : lua_tostring(L, -1));
    lua_settop(L, 0);
    CHECK(art_lua_memory(st) == lua_bytes(L), "after churn: counted %zu, Lua %zu",
          (size_t)art_lua_memory(st), lua_bytes(L));

    /* Small blocks past the budget: refused, and the budget spent. */
    rc = run(L, "local t = {}\nfor i = 1, math.huge do t[i] = { i } end\n");
    CHECK(rc == LUA_ERRMEM, "growing past the budget fails with LUA_ERRMEM: %d", rc);
    CHECK(rc == LUA_ERRMEM && strcmp(lua_tostring(L, -1), "not enough memory") == 0,
          "with \"not enough memory\"");
    CHECK(st->budget_hit && strcmp(st->budget_hit, "memory budget") == 0,
          "the memory budget is marked spent: %s",
          st->budget_hit ? st->budget_hit : "(none)");
    bytes = art_lua_memory(st);
    CHECK(bytes <= o.limits.memory, "the state holds %zu bytes, budget %zu",
          (size_t)bytes, (size_t)o.limits.memory);
    CHECK(bytes == lua_bytes(L), "at the budget: counted %zu, Lua %zu",
          (size_t)bytes, lua_bytes(L));
    lua_settop(L, 0);

    /* Once spent, nothing grows, even what would fit. */
    n = lua_gettop(L);
    rc = run(L, "local s = ('y'):rep(100)\n");
    CHECK(rc != LUA_OK, "a spent budget refuses even small growth");
    lua_settop(L, n);

    lua_gc(L, LUA_GCCOLLECT);
    CHECK(art_lua_memory(st) < bytes / 2,
          "collected, the garbage is given back: %zu of %zu bytes",
          (size_t)art_lua_memory(st), (size_t)bytes);
    CHECK(art_lua_memory(st) == lua_bytes(L), "after collecting: counted %zu, Lua %zu",
          (size_t)art_lua_memory(st), lua_bytes(L));
    /* A state whose budget ran out is retired: its lists are freed with it. */
    st->dead = 1;
    art_lua_release(h, st);
}

int main(void)
{
    apr_pool_t *pool;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_reuse();
    test_realloc();
    test_cap();
    test_state(pool);
    apr_pool_destroy(pool);
    apr_terminate();
    printf("lalloc: %d passed, %d failed\n", unit_passed, unit_failed);
    return unit_failed != 0;
}
