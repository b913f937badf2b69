-- require cannot leave the filter's folder and ArticlesLuaPath.
return function()
  require("..etc.passwd")
end
