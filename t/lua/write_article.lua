-- Articles are read-only views into the snapshot.
return function(page)
  page.article.title = "defaced"
end
