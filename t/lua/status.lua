-- A status stops the pipeline: 404 for articles not in the page language,
-- as in SPEC §5, here for every article.
return function(page)
  if page.kind == "article" then return 404 end
end
