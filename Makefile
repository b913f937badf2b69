# mod_articles: build, run, test, install.
#
#   make            build build/mod_articles.so, build/articles-check and
#                   build/articles-querybench
#   make run        build, then serve the sample site on http://127.0.0.1:$(PORT)
#   make test       unit tests, then the Apache::Test suite in t/
#   make test-cluster  conf/cluster.conf for real: a front and two nodes on
#                   CLUSTER_PORT (8780) and the two ports above it
#   make test-asan  the Apache::Test suite against an ASan+UBSan build of the
#                   module, under each MPM; fails on any sanitizer report
#   make install    DESTDIR-aware install (module, conf, templates, lua, schema)
#   make screenshots  en, fa and ps article pages as PNGs in conf/screenshots/
#   make bench      the benchmark in t/bench/ (minutes; never part of `make test`)
#   make profile    callgrind instructions per request of each handler stage
#   make golden-update  rewrite t/golden/ (the pages t/golden.t compares) from
#                   this tree: only for an intended change of output
#   make fuzz       libFuzzer targets in t/fuzz/, FUZZ_SECONDS each (see
#                   t/fuzz/README.md); `make test` runs each for a few seconds
#                   (fuzz-smoke)
#
# As root, `make run` and `make test` first install missing Debian packages.

APXS     ?= apxs
HTTPD    ?= /usr/sbin/apache2
PORT     ?= 8080
REPO     ?= $(CURDIR)/conf/sample/repo
BUILD    := build
PKGS     := lua5.4 libxml-2.0 lmdb

DEB_PKGS := apache2 apache2-dev liblua5.4-dev libxml2-dev libxml2-utils pkg-config \
            libapache2-mod-perl2 lua-check lua5.4 liblmdb-dev gcc make clang \
            libclang-rt-14-dev tzdata

# The Nu HTML checker t/html_valid.t runs (npm package vnu-jar, pinned; it
# needs java, which `deps` installs as default-jre-headless when missing).
VNU_VERSION := 26.9.27
VNU_JAR     := $(BUILD)/vnu/node_modules/vnu-jar/build/dist/vnu.jar

PREFIX     ?= /usr
DATADIR    ?= $(PREFIX)/share/mod_articles
MODULEDIR  ?= $(shell $(APXS) -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
CONFDIR    ?= /etc/apache2/mods-available

# The loader and the store, and what they link: the module, articles-check,
# querybench and fuzz_article all read repositories with exactly these.
LOADER_SRC := mod_articles/art_repo.c mod_articles/art_valid.c \
              mod_articles/art_snapshot.c mod_articles/art_text.c \
              mod_articles/art_index.c mod_articles/art_buf.c \
              mod_articles/art_route.c mod_articles/art_hash.c \
              mod_articles/art_html.c mod_articles/art_ltext.c \
              mod_articles/art_tag.c mod_articles/art_url.c \
              mod_articles/art_store.c mod_articles/art_time.c \
              mod_articles/art_memo.c
CORE_SRC := $(LOADER_SRC) mod_articles/art_gen.c \
            mod_articles/art_negotiate.c mod_articles/art_mustache.c \
            mod_articles/art_tplset.c mod_articles/art_lua.c mod_articles/art_lalloc.c \
            mod_articles/art_lua_page.c mod_articles/art_lua_pattern.c \
            mod_articles/art_lua_lib.c \
            mod_articles/art_related.c mod_articles/art_snippet.c \
            mod_articles/art_cache.c \
            mod_articles/art_redirect.c \
            mod_articles/art_json.c mod_articles/art_sitemap.c \
            mod_articles/art_lua_seo.c
GLUE_SRC := mod_articles/mod_articles.c mod_articles/mod_articles_config.c \
            mod_articles/mod_articles_status.c mod_articles/mod_articles_socache.c \
            mod_articles/mod_articles_request.c mod_articles/mod_articles_store.c \
            mod_articles/mod_articles_reload.c
HEADERS  := $(wildcard mod_articles/*.h)
SCHEMA   := mod_articles/articles.rng
SCHEMA_C := $(BUILD)/art_schema.c

WARN     := -Wall -Wextra
DEPCFLAGS = $(shell pkg-config --cflags $(PKGS))
DEPLIBS   = $(shell pkg-config --libs $(PKGS)) -lm
APRFLAGS  = $(shell apr-1-config --includes --cppflags 2>/dev/null)
APRLIBS   = $(shell apr-1-config --link-ld 2>/dev/null)

.PHONY: all deps run test test-cluster test-asan unit check-lua install clean bench \
        profile golden-update \
        screenshots fuzz fuzz-smoke

all: $(BUILD)/mod_articles.so $(BUILD)/articles-check $(BUILD)/articles-querybench

# ---------------------------------------------------------------- dependencies

# Install the Debian packages $(1) that are missing, when root; otherwise say
# which are missing and fail.
define ensure_pkgs
	@missing=""; for p in $(1); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "installing:$$missing"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	    else \
	        echo "missing Debian packages:$$missing (run as root or install them)"; \
	        exit 1; \
	    fi; \
	fi
endef

# When command $(1) is missing, install Debian package $(2) as root, or else
# say what $(3) needs it for and fail.  A command, not a package, is checked:
# java and npm may come from elsewhere than Debian.
define ensure_cmd
	@if ! command -v $(1) >/dev/null 2>&1; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "installing: $(2) ($(1), for $(3))"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
	    else \
	        echo "missing: $(1) (install $(2); $(3) needs it)"; \
	        exit 1; \
	    fi; \
	fi
endef

# Installs what is missing when run as root (CI, a fresh machine); otherwise
# only says what is missing.
deps:
	$(call ensure_pkgs,$(DEB_PKGS))
	$(call ensure_cmd,java,default-jre-headless,the Nu HTML checker of t/html_valid.t)
	$(call ensure_cmd,npm,npm,installing the Nu HTML checker)

# ---------------------------------------------------------------- build

$(BUILD):
	mkdir -p $(BUILD)

# The schema is compiled into the module so the loader always enforces the
# published one; each line becomes a C string literal.
$(SCHEMA_C): $(SCHEMA) | $(BUILD)
	{ echo '/* Generated from $(SCHEMA) by the Makefile. */'; \
	  echo 'const char art_schema_rng[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(BUILD)/mod_articles.so: $(CORE_SRC) $(GLUE_SRC) $(SCHEMA_C) $(HEADERS) | $(BUILD)
	rm -rf $(BUILD)/apxs && mkdir -p $(BUILD)/apxs
	cp $(CORE_SRC) $(GLUE_SRC) $(SCHEMA_C) $(HEADERS) $(BUILD)/apxs/
	cd $(BUILD)/apxs && $(APXS) -c -o mod_articles.la \
	    -Wc,-Wall -Wc,-Wextra -Wc,-O2 $(DEPCFLAGS) \
	    $(notdir $(GLUE_SRC) $(CORE_SRC) $(SCHEMA_C)) $(DEPLIBS) >build.log 2>&1 \
	    || { cat build.log; exit 1; }
	@if grep -q 'warning:' $(BUILD)/apxs/build.log; then \
	    grep -A3 'warning:' $(BUILD)/apxs/build.log; exit 1; fi
	cp $(BUILD)/apxs/.libs/mod_articles.so $@

# The command-line tools and unit tests: every .c prerequisite is compiled in,
# with warnings as errors.
TOOL_LINK = $(CC) $(WARN) -Werror -O2 $(APRFLAGS) $(DEPCFLAGS) -Imod_articles \
            -o $@ $(filter %.c,$^) $(APRLIBS) $(DEPLIBS)

$(BUILD)/articles-check: mod_articles/articles-check.c $(LOADER_SRC) $(SCHEMA_C) \
        $(HEADERS)
	$(TOOL_LINK)

# What related links and search cost on a repository (t/bench/querybench.c):
# build/articles-querybench [-n SAMPLES] REPO.
$(BUILD)/articles-querybench: t/bench/querybench.c $(LOADER_SRC) \
        mod_articles/art_related.c mod_articles/art_snippet.c \
        $(SCHEMA_C) $(HEADERS)
	$(TOOL_LINK)

$(BUILD)/mustache_spec: t/unit/mustache_spec.c mod_articles/art_mustache.c \
        mod_articles/art_buf.c $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/patterns_diff: t/unit/patterns_diff.c mod_articles/art_lua_pattern.c \
        $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/index_test: t/unit/index_test.c mod_articles/art_text.c \
        mod_articles/art_index.c mod_articles/art_snapshot.c mod_articles/art_html.c \
        mod_articles/art_memo.c $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/valid_test: t/unit/valid_test.c mod_articles/art_valid.c $(HEADERS) \
        | $(BUILD)
	$(TOOL_LINK)

# The store: built, updated, compared with the loader, broken and rebuilt.
$(BUILD)/store_test: t/unit/store_test.c $(LOADER_SRC) $(SCHEMA_C) $(HEADERS) \
        | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/redirect_test: t/unit/redirect_test.c mod_articles/art_redirect.c \
        $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/route_test: t/unit/route_test.c t/unit/unit_check.h $(LOADER_SRC) $(SCHEMA_C) $(HEADERS) \
        | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/time_test: t/unit/time_test.c mod_articles/art_time.c $(HEADERS) \
        | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/json_test: t/unit/json_test.c mod_articles/art_json.c \
        mod_articles/art_buf.c $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/sitemap_test: t/unit/sitemap_test.c t/unit/unit_check.h mod_articles/art_sitemap.c \
        mod_articles/art_json.c $(LOADER_SRC) $(SCHEMA_C) $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

# The Lua states' free lists alone, then through a real state and its memory
# budget (art_lua.c and what it links: the core).
$(BUILD)/lalloc_test: t/unit/lalloc_test.c t/unit/unit_check.h $(CORE_SRC) \
        $(SCHEMA_C) $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

$(BUILD)/cache_test: t/unit/cache_test.c mod_articles/art_cache.c \
        mod_articles/art_hash.c $(HEADERS) | $(BUILD)
	$(TOOL_LINK)

# ---------------------------------------------------------------- run

# A private ServerRoot under build/run: nothing in /etc/apache2 is read or
# written.  As root, children run as www-data; when www-data cannot read the
# checkout (a clone below a private home folder), the sample site, templates
# and filters are copied to a readable folder first.
RUN_STAGE := /tmp/mod_articles-run.$(shell id -u)

run: deps all
	@mkdir -p $(BUILD)/run/logs
	@data=$(CURDIR); repo=$(REPO); \
	if [ "$$(id -u)" = 0 ] && ! runuser -u www-data -- test -r $(CURDIR)/lua/language.lua \
	        2>/dev/null; then \
	    rm -rf $(RUN_STAGE) && mkdir -p $(RUN_STAGE)/conf && \
	    cp -R conf/templates $(RUN_STAGE)/conf/ && cp -R lua $(RUN_STAGE)/ && \
	    cp -R $(REPO) $(RUN_STAGE)/repo && chmod -R a+rX $(RUN_STAGE) && \
	    data=$(RUN_STAGE) repo=$(RUN_STAGE)/repo && \
	    echo "www-data cannot read $(CURDIR): serving a copy in $(RUN_STAGE)"; \
	fi; \
	sed -e "s|@ROOT@|$(CURDIR)|g" -e "s|@DATA@|$$data|g" -e "s|@PORT@|$(PORT)|g" \
	    -e "s|@REPO@|$$repo|g" -e "s|@RUN@|$(CURDIR)/$(BUILD)/run|g" \
	    conf/run.conf.in > $(BUILD)/run/httpd.conf
	@echo "serving $(REPO) on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(HTTPD) -d $(CURDIR)/$(BUILD)/run -f $(CURDIR)/$(BUILD)/run/httpd.conf \
	    -DFOREGROUND

# ---------------------------------------------------------------- test

unit: $(BUILD)/mustache_spec $(BUILD)/patterns_diff $(BUILD)/index_test \
        $(BUILD)/cache_test $(BUILD)/valid_test $(BUILD)/route_test \
        $(BUILD)/store_test $(BUILD)/redirect_test $(BUILD)/json_test \
        $(BUILD)/sitemap_test $(BUILD)/time_test $(BUILD)/lalloc_test
	$(BUILD)/mustache_spec t/mustache-spec
	$(BUILD)/patterns_diff
	$(BUILD)/index_test
	$(BUILD)/cache_test
	$(BUILD)/lalloc_test
	$(BUILD)/time_test
	$(BUILD)/valid_test $(SCHEMA)
	$(BUILD)/route_test conf/sample/repo
	$(BUILD)/store_test conf/sample/repo
	$(BUILD)/redirect_test
	$(BUILD)/json_test
	$(BUILD)/sitemap_test t/unit/sitemap.xsd conf/sample/repo
	lua5.4 t/unit/dates_test.lua
	perl t/unit/links_test.pl

check-lua:
	luacheck --no-color -q lua

$(VNU_JAR): | $(BUILD)
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: apt-get install npm"; exit 1; }
	npm install --silent --prefix $(BUILD)/vnu vnu-jar@$(VNU_VERSION)
	@test -f $@ || { echo "npm did not install $@"; exit 1; }

test: deps all unit check-lua fuzz-smoke $(VNU_JAR)
	t/run-tests

# Rewrite t/golden/, the pages t/golden.t compares byte for byte, from what this
# tree renders: only for an intended change of output (README, Tests).
golden-update: deps all
	t/golden-update

# Three httpds from conf/cluster.conf (t/cluster/cluster.pl, about a minute).
test-cluster: deps all
	HTTPD=$(HTTPD) prove t/cluster/cluster.pl

# The module built with AddressSanitizer and UBSan, outside apxs (libtool
# would drop -fsanitize from the link), for t/run-asan.
ASAN_SO := $(BUILD)/asan/mod_articles.so

$(ASAN_SO): $(CORE_SRC) $(GLUE_SRC) $(SCHEMA_C) $(HEADERS) | $(BUILD)
	mkdir -p $(BUILD)/asan
	$(CC) -shared -fPIC -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=address,undefined $(WARN) -Werror \
	    -I$(shell $(APXS) -q INCLUDEDIR) $(APRFLAGS) $(DEPCFLAGS) -Imod_articles \
	    -o $@ $(CORE_SRC) $(GLUE_SRC) $(SCHEMA_C) $(DEPLIBS)

test-asan: deps all unit $(ASAN_SO) $(VNU_JAR)
	t/run-asan

# ---------------------------------------------------------------- bench

# Static files, none, one empty and the three shipped filters side by side in
# one httpd, the mod_lua peer (t/bench/peer.lua) in a second, and Hugo's build
# of the same corpus; see t/bench/run for what is measured and the BENCH_*
# variables (BENCH_SIZES=1000 for a quick run).  Results go to
# build/bench/results-<date>.md, the plot to
# build/bench/bench.png.  mod_lua is Debian's (apache2-bin, Lua 5.3).
BENCH_PKGS := wrk hugo gnuplot-nox lua-expat valgrind apache2-bin

bench: all
	$(call ensure_pkgs,$(BENCH_PKGS))
	HTTPD=$(HTTPD) t/bench/run

# Instructions per request of each stage of an article, a list and a search
# page, with callgrind
# (t/bench/profile; PROFILE_SIZE, PROFILE_REQS, PROFILE_KINDS).  make bench
# runs it too, for issue #14's instructions per article page.
profile: all
	$(call ensure_pkgs,valgrind)
	HTTPD=$(HTTPD) t/bench/profile

# ---------------------------------------------------------------- fuzz

# libFuzzer targets (t/fuzz/README.md), each run for FUZZ_SECONDS in turn;
# FUZZ_TARGETS picks some.  Corpora grow in build/fuzz/corpus-NAME, seeded from
# t/fuzz/corpus/NAME/; crashes land in build/fuzz/artifacts-NAME/ and make
# fails.  UBSan findings are made fatal (-fno-sanitize-recover) because
# libFuzzer saves an input only when the process dies.  -timeout turns a hang
# into a finding instead of a run that never ends.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TIMEOUT ?= 30
FUZZ_TARGETS ?= mustache article negotiate pattern snippet route redirect
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all $(WARN)
FUZZ_LINK     = $(FUZZ_CC) $(FUZZ_CFLAGS) $(APRFLAGS) $(DEPCFLAGS) -Imod_articles \
                -o $@ $(filter %.c,$^) $(APRLIBS) $(DEPLIBS)

$(FUZZ_DIR):
	mkdir -p $(FUZZ_DIR)

$(FUZZ_DIR)/fuzz_mustache: t/fuzz/fuzz_mustache.c mod_articles/art_mustache.c \
        mod_articles/art_buf.c $(HEADERS) | $(FUZZ_DIR)
	$(FUZZ_LINK)

$(FUZZ_DIR)/fuzz_article: t/fuzz/fuzz_article.c $(LOADER_SRC) $(SCHEMA_C) \
        $(HEADERS) | $(FUZZ_DIR)
	$(FUZZ_LINK)

$(FUZZ_DIR)/fuzz_negotiate: t/fuzz/fuzz_negotiate.c mod_articles/art_negotiate.c \
        $(HEADERS) | $(FUZZ_DIR)
	$(FUZZ_LINK)

$(FUZZ_DIR)/fuzz_snippet: t/fuzz/fuzz_snippet.c mod_articles/art_snippet.c \
        mod_articles/art_memo.c mod_articles/art_html.c mod_articles/art_text.c \
        mod_articles/art_buf.c $(HEADERS) | $(FUZZ_DIR)
	$(FUZZ_LINK)

$(FUZZ_DIR)/fuzz_route: t/fuzz/fuzz_route.c $(LOADER_SRC) $(SCHEMA_C) $(HEADERS) \
        | $(FUZZ_DIR)
	$(FUZZ_LINK)

$(FUZZ_DIR)/fuzz_pattern: t/fuzz/fuzz_pattern.c mod_articles/art_lua_pattern.c \
        $(HEADERS) | $(FUZZ_DIR)
	$(FUZZ_LINK)

$(FUZZ_DIR)/fuzz_redirect: t/fuzz/fuzz_redirect.c mod_articles/art_redirect.c \
        $(HEADERS) | $(FUZZ_DIR)
	$(FUZZ_LINK)

# Every target runs even when an earlier one failed; the summary names the
# failures.  Article files may be long, the other inputs are headers, patterns
# and templates.
fuzz: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
	@failed=""; for t in $(FUZZ_TARGETS); do \
	    corpus=$(FUZZ_DIR)/corpus-$$t; art=$(FUZZ_DIR)/artifacts-$$t; \
	    log=$(FUZZ_DIR)/$$t.log; mkdir -p $$corpus $$art; \
	    if [ -d t/fuzz/corpus/$$t ]; then cp -R t/fuzz/corpus/$$t/. $$corpus/; fi; \
	    len=4096; if [ $$t = article ]; then len=65536; fi; \
	    dict=""; if [ -f t/fuzz/$$t.dict ]; then dict=-dict=t/fuzz/$$t.dict; fi; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s (log: $$log)"; \
	    if $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	            -rss_limit_mb=2048 -max_len=$$len -timeout=$(FUZZ_TIMEOUT) \
	            -print_final_stats=1 -artifact_prefix=$$art/ $$dict \
	            $$corpus >$$log 2>&1; then \
	        grep -E '^#[0-9]+[[:space:]]+DONE' $$log; \
	        grep -E 'stat::number_of_executed_units' $$log; \
	    else \
	        failed="$$failed $$t"; tail -n 60 $$log; \
	    fi; \
	done; \
	if [ -n "$$failed" ]; then \
	    echo "fuzz: findings in:$$failed (inputs in $(FUZZ_DIR)/artifacts-*/)"; \
	    exit 1; \
	fi

# Part of `make test`: every target replays its seed corpus and fuzzes for
# FUZZ_SMOKE_SECONDS, so a parser change that crashes on a known input, or
# soon after, fails the build without anyone remembering to fuzz.
FUZZ_SMOKE_SECONDS ?= 3

fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

# ---------------------------------------------------------------- screenshots

# The en, fa and ps article pages of the sample site rendered by headless
# Chromium into conf/screenshots/{en,fa,ps}-article.png; t/screenshots
# serves the site on a private port (SHOT_PORT, 8093) and stops it afterwards.
# Chromium and the Noto fonts (Pashto letters) are installed when root.
SHOT_PKGS := chromium fonts-noto-core

screenshots: deps all
	$(call ensure_pkgs,$(SHOT_PKGS))
	HTTPD=$(HTTPD) t/screenshots

# ---------------------------------------------------------------- install

install: all
	install -d $(DESTDIR)$(MODULEDIR) $(DESTDIR)$(CONFDIR) \
	    $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(DATADIR)/lua \
	    $(DESTDIR)$(DATADIR)/schema $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(BUILD)/mod_articles.so $(DESTDIR)$(MODULEDIR)/
	install -m 755 $(BUILD)/articles-check $(DESTDIR)$(PREFIX)/bin/
	install -m 644 conf/articles.load conf/articles.conf $(DESTDIR)$(CONFDIR)/
	install -m 644 conf/templates/*.mustache $(DESTDIR)$(DATADIR)/templates/
	install -m 644 lua/*.lua $(DESTDIR)$(DATADIR)/lua/
	install -m 644 $(SCHEMA) $(DESTDIR)$(DATADIR)/schema/
	cp -R conf/sample/repo $(DESTDIR)$(DATADIR)/sample
	chmod -R a+rX $(DESTDIR)$(DATADIR)/sample

clean:
	rm -rf $(BUILD) t/logs t/conf/httpd.conf t/conf/apache_test_config.pm \
	    t/conf/extra.conf t/TEST
