module github.com/guildhall/guildhall/web/console

go 1.26.0
