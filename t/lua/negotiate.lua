-- articles.negotiate on inputs no HTTP header could carry (t/negotiate.t).
return function(page)
  local many = string.rep("xx;q=0.5,", 10000) .. "ps"
  local hostile = articles.negotiate(many)
  local cases = {
    tostring(articles.negotiate("fa-AF, en;q=0.5")),
    tostring(articles.negotiate("de", { "en", "fa" })),
    tostring(articles.negotiate("*", { "ps", "en" })),
    tostring(articles.negotiate("")),
    tostring(hostile),
  }
  page.site.tagline = table.concat(cases, "|")
end
