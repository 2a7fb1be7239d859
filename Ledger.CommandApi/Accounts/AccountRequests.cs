using System.Text.Json;
using Ledger.Domain.Accounts;

namespace Ledger.CommandApi.Accounts;

/// <summary>Body of <c>POST /v1/accounts</c>. Unknown fields are refused (400), like every request body.</summary>
public sealed record CreateAccountRequest(string? Username, string? Name, string? Email, string? Status);

/// <summary>A validated PATCH: each field present is a requested value; absent fields are left alone.</summary>
public sealed record AccountPatch(string? Username, string? Name, string? Email, AccountStatus? Status);

public static class AccountRequestValidation
{
    private static readonly string[] PatchFields = ["username", "name", "email", "status"];

    public static Dictionary<string, string[]> Validate(CreateAccountRequest body, out string username, out string name, out string email, out AccountStatus? status)
    {
        var errors = new Dictionary<string, string[]>();
        Check(errors, "username", AccountRules.ValidateUsername(body.Username, out username));
        Check(errors, "name", AccountRules.ValidateName(body.Name, out name));
        Check(errors, "email", AccountRules.ValidateEmail(body.Email, out email));
        status = null;
        if (body.Status is not null)
        {
            if (AccountStatuses.TryParse(body.Status, out var parsed))
            {
                status = parsed;
            }
            else
            {
                errors["status"] = ["must be one of active, suspended, closed"];
            }
        }

        return errors;
    }

    /// <summary>
    /// PATCH is parsed by hand so that absent, null, wrong-typed and unknown fields are told apart: only absent means
    /// "leave it"; the rest are 400s naming the field.
    /// </summary>
    public static Dictionary<string, string[]> ParsePatch(JsonElement root, out AccountPatch patch)
    {
        var errors = new Dictionary<string, string[]>();
        patch = new AccountPatch(null, null, null, null);
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["$"] = ["the body must be a JSON object"];
            return errors;
        }

        string? username = null, name = null, email = null;
        AccountStatus? status = null;
        var seen = 0;
        foreach (var property in root.EnumerateObject())
        {
            if (!PatchFields.Contains(property.Name, StringComparer.Ordinal))
            {
                errors[property.Name] = ["is not a field of an account that can be changed (username, name, email, status)"];
                continue;
            }

            seen++;
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                errors[property.Name] = ["must be a string"];
                continue;
            }

            var value = property.Value.GetString();
            switch (property.Name)
            {
                case "username":
                    Check(errors, "username", AccountRules.ValidateUsername(value, out var u));
                    username = u;
                    break;
                case "name":
                    Check(errors, "name", AccountRules.ValidateName(value, out var n));
                    name = n;
                    break;
                case "email":
                    Check(errors, "email", AccountRules.ValidateEmail(value, out var e));
                    email = e;
                    break;
                case "status":
                    if (AccountStatuses.TryParse(value, out var s))
                    {
                        status = s;
                    }
                    else
                    {
                        errors["status"] = ["must be one of active, suspended, closed"];
                    }

                    break;
            }
        }

        if (seen == 0 && errors.Count == 0)
        {
            errors["$"] = ["name at least one of username, name, email, status"];
        }

        patch = new AccountPatch(username, name, email, status);
        return errors;
    }

    private static void Check(Dictionary<string, string[]> errors, string field, string? message)
    {
        if (message is not null)
        {
            errors[field] = [message];
        }
    }
}
