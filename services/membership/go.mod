module github.com/guildhall/guildhall/services/membership

go 1.26.0

require (
	github.com/guildhall/guildhall/pkg v0.0.0
	github.com/guildhall/guildhall/proto v0.0.0
)

replace (
	github.com/guildhall/guildhall/pkg => ../../pkg
	github.com/guildhall/guildhall/proto => ../../proto
)
