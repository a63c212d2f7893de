module github.com/securememory/securememory-go

go 1.24
