using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Gatehouse.Identity.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditEventCount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Count",
                table: "audit_events",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Count",
                table: "audit_events");
        }
    }
}
